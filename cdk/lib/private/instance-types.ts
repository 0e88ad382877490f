/**
 * vCPU and GPU counts of the SageMaker instance types this service is sized for.
 *
 * SageMaker reports `CPUUtilization` and `GPUUtilization` summed over every core and GPU of an
 * instance (0-400% on four vCPUs), so a "70% of the instance" threshold has to be multiplied by
 * these counts before it goes into an alarm.
 */
export interface InstanceShape {
  /** Virtual CPUs of one instance. */
  readonly vcpus: number;

  /** GPUs of one instance. */
  readonly gpus: number;
}

const KNOWN_SHAPES: Readonly<Record<string, InstanceShape>> = {
  'ml.g4dn.xlarge': { vcpus: 4, gpus: 1 },
  'ml.g4dn.2xlarge': { vcpus: 8, gpus: 1 },
  'ml.g4dn.12xlarge': { vcpus: 48, gpus: 4 },
  'ml.g5.xlarge': { vcpus: 4, gpus: 1 },
  'ml.g5.2xlarge': { vcpus: 8, gpus: 1 },
  'ml.g5.4xlarge': { vcpus: 16, gpus: 1 },
  'ml.g5.8xlarge': { vcpus: 32, gpus: 1 },
  'ml.g5.12xlarge': { vcpus: 48, gpus: 4 },
  'ml.g5.24xlarge': { vcpus: 96, gpus: 4 },
  'ml.g5.48xlarge': { vcpus: 192, gpus: 8 },
  'ml.g6.xlarge': { vcpus: 4, gpus: 1 },
  'ml.g6.2xlarge': { vcpus: 8, gpus: 1 },
  'ml.g6.12xlarge': { vcpus: 48, gpus: 4 },
  'ml.g6e.xlarge': { vcpus: 4, gpus: 1 },
  'ml.g6e.2xlarge': { vcpus: 8, gpus: 1 },
  'ml.g6e.12xlarge': { vcpus: 48, gpus: 4 },
  'ml.p4d.24xlarge': { vcpus: 96, gpus: 8 },
};

/**
 * The vCPU and GPU counts of a known instance type, or undefined for one this table lacks.
 */
export function knownInstanceShape(instanceType: string): InstanceShape | undefined {
  return KNOWN_SHAPES[instanceType];
}
