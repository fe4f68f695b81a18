import { Metadata, type ServiceError } from '@grpc/grpc-js';

type UnaryMethod<Req, Res> = (req: Req, md: Metadata, opts: { deadline: Date }, cb: (e: ServiceError | null, r: Res) => void) => unknown;

/** Calls a unary method of a generated grpc-js client as a promise, with a deadline. */
export function unaryCall<Req, Res>(client: object, method: UnaryMethod<Req, Res>, req: Req, deadlineMs = 10_000, metadata = new Metadata()): Promise<Res> {
  return new Promise((resolve, reject) =>
    method.call(client, req, metadata, { deadline: new Date(Date.now() + deadlineMs) }, (e, r) => (e ? reject(e) : resolve(r))),
  );
}
