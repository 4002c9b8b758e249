export interface ServedRequest {
  readonly path: string;
  readonly status: number;
  readonly type: string | null;
}
export interface Served {
  /** The root URL, ending in '/'. */
  readonly url: string;
  /** Every request so far, in order. */
  readonly requests: ServedRequest[];
  close(): Promise<void>;
}
export function serve(root: string, options?: { isolated?: boolean }): Promise<Served>;
