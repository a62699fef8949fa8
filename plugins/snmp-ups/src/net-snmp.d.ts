/** The part of net-snmp (JavaScript, no bundled types) this plugin uses. */
declare module 'net-snmp' {
  export interface Varbind {
    oid: string;
    type: number;
    value: unknown;
  }
  export interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    transport?: 'udp4' | 'udp6';
    version?: number;
    idBitsSize?: 16 | 32;
    context?: string;
  }
  export interface V3User {
    name: string;
    level: number;
    authProtocol?: number;
    authKey?: string;
    privProtocol?: number;
    privKey?: string;
  }
  export interface Session {
    get(oids: string[], cb: (error: Error | null, varbinds?: Varbind[]) => void): void;
    getNext(oids: string[], cb: (error: Error | null, varbinds?: Varbind[]) => void): void;
    set(varbinds: Varbind[], cb: (error: Error | null, varbinds?: Varbind[]) => void): void;
    close(): void;
    on(event: 'error' | 'close', listener: (err?: Error) => void): void;
  }
  export function createSession(target: string, community: string, options?: SessionOptions): Session;
  export function createV3Session(target: string, user: V3User, options?: SessionOptions): Session;
  export function isVarbindError(vb: Varbind): boolean;
  export class RequestFailedError extends Error {
    status: number;
  }
  export class RequestTimedOutError extends Error {}
  export const Version1: number;
  export const Version2c: number;
  export const Version3: number;
  export const ObjectType: Record<string, number>;
  export const ErrorStatus: Record<string, number>;
  export const SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
  export const AuthProtocols: Record<'none' | 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512', number>;
  export const PrivProtocols: Record<'none' | 'des' | 'aes' | 'aes256b' | 'aes256r', number>;
  const snmp: {
    createSession: typeof createSession;
    createV3Session: typeof createV3Session;
    isVarbindError: typeof isVarbindError;
    RequestFailedError: typeof RequestFailedError;
    RequestTimedOutError: typeof RequestTimedOutError;
    Version1: number;
    Version2c: number;
    Version3: number;
    ObjectType: Record<string, number>;
    ErrorStatus: Record<string, number>;
    SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
    AuthProtocols: Record<'none' | 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512', number>;
    PrivProtocols: Record<'none' | 'des' | 'aes' | 'aes256b' | 'aes256r', number>;
  };
  export default snmp;
}
