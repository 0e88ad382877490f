import { Names, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** ElastiCache Serverless listens on 6379 (primary) and 6380 (read from replicas). */
const REDIS_PORTS = ec2.Port.tcpRange(6379, 6380);

/**
 * A Redis-compatible shared cache (ElastiCache Serverless) and the private network the functions
 * need to reach it: a VPC without NAT or internet access, with endpoints for S3, SageMaker Runtime
 * and Secrets Manager so the functions still reach the services they call.
 *
 * @example
 * const cache = new SharedCache(this, 'Cache');
 * // functions: vpc = cache.vpc, securityGroups = [cache.clientSecurityGroup],
 * //            environment REDIS_URL = cache.redisUrl
 */
export class SharedCache extends Construct {
  /** The private network of the cache and the functions. */
  public readonly vpc: ec2.Vpc;

  /** The functions' security group; the only one the cache and the endpoints let in. */
  public readonly clientSecurityGroup: ec2.SecurityGroup;

  /** `rediss://host:port` of the cache (TLS is always on for ElastiCache Serverless). */
  public readonly redisUrl: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    this.vpc.addFlowLog('FlowLogs', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogGroup', {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    this.clientSecurityGroup = new ec2.SecurityGroup(this, 'ClientSecurityGroup', {
      vpc: this.vpc,
      description: 'adcopy functions that use the shared cache',
    });
    this.addServiceEndpoints();

    const cacheSecurityGroup = new ec2.SecurityGroup(this, 'CacheSecurityGroup', {
      vpc: this.vpc,
      description: 'adcopy shared cache',
      allowAllOutbound: false,
    });
    cacheSecurityGroup.addIngressRule(this.clientSecurityGroup, REDIS_PORTS, 'adcopy functions');

    const cache = new elasticache.CfnServerlessCache(this, 'Resource', {
      serverlessCacheName: Names.uniqueResourceName(this, { maxLength: 40 }).toLowerCase(),
      engine: 'redis',
      majorEngineVersion: '7',
      description: 'adcopy shared copy cache',
      securityGroupIds: [cacheSecurityGroup.securityGroupId],
      subnetIds: this.vpc.isolatedSubnets.map((subnet) => subnet.subnetId),
    });
    this.redisUrl = `rediss://${cache.attrEndpointAddress}:${cache.attrEndpointPort}`;
  }

  private addServiceEndpoints() {
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });

    const interfaces = {
      SageMakerRuntime: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
      // The API reads its keys from Secrets Manager at cold start.
      SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    };
    for (const [name, service] of Object.entries(interfaces)) {
      const endpoint = this.vpc.addInterfaceEndpoint(name, {
        service,
        privateDnsEnabled: true,
        open: false,
      });
      endpoint.connections.allowDefaultPortFrom(this.clientSecurityGroup);
    }
  }
}
