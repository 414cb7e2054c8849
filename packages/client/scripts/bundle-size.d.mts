export interface BundleSize {
  minified: number;
  gzip: number;
  /** Minified bytes each package adds (`msgpackr`, `@roar/protocol`...). */
  byPackage: Map<string, number>;
  /** Minified bytes each source file adds, by path from the repository's root. */
  byFile: Map<string, number>;
}
export function bundleSize(contents: string): Promise<BundleSize>;
export const ENTRIES: Readonly<
  Record<'@roar/client' | '@roar/client/json' | 'socket.io-client', string>
>;
export const FEATURES: Readonly<Record<string, string>>;
