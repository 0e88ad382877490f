export { AdcopyStack, type AdcopyStackProps, type VariantWeight } from './lib/adcopy-stack.js';
export { BatchPipeline, type BatchPipelineProps } from './lib/batch-pipeline.js';
export {
  ComplianceRulesLayer, COMPLIANCE_RULES_PATH, type ComplianceRulesLayerProps,
} from './lib/compliance-rules-layer.js';
export { CopyApi, type CopyApiProps } from './lib/copy-api.js';
export { ConfigurationError } from './lib/errors.js';
export { EdgeSecurityStack, type EdgeSecurityStackProps } from './lib/edge-security-stack.js';
export {
  InferenceEndpoint, type InferenceEndpointProps, type ProductionVariantProps,
} from './lib/inference-endpoint.js';
export {
  addAdcopyStacks, type AdcopyStacks, type AddAdcopyStacksOptions,
} from './lib/adcopy-app.js';
export { serviceOptionsFromContext, type ServiceOptions } from './lib/service-options.js';
export {
  ServiceMonitoring, type AlarmThresholds, type ServiceMonitoringProps,
} from './lib/service-monitoring.js';
export { SharedCache } from './lib/shared-cache.js';
export {
  DEFAULT_SCALING, VariantAutoScaling, variantMetric, type ScalingNumbers,
  type VariantAutoScalingProps,
} from './lib/variant-autoscaling.js';
