export declare const NGINX_PATH: string;
export declare function writeNginxConf(
  dir: string,
  options: { http: string; workers?: number; errorLog?: string; logLevel?: string; connections?: number },
): string;
export declare function forwardAuthHttp(options: {
  port: number;
  verifyHost: string;
  upstreamHost: string;
  authPrefix?: string;
  keepalive?: number;
}): string;
