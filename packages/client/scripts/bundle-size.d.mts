export interface BundleSize {
  minified: number;
  gzip: number;
  /** Minified bytes each package adds (`msgpackr`, `@roar/protocol`...). */
  byPackage: Map<string, number>;
}
export function bundleSize(contents: string): Promise<BundleSize>;
export const ENTRIES: Readonly<
  Record<'@roar/client' | '@roar/client/json' | 'socket.io-client', string>
>;
