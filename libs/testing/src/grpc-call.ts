import { Metadata } from '@grpc/grpc-js';
import { callUnary } from '@strongroom/contract';

/** Calls a unary method of a generated grpc-js client as a promise, with a deadline (10 s by default). */
export function unaryCall<Req, Res>(
  client: object,
  method: Parameters<typeof callUnary<Req, Res>>[1],
  req: Req,
  deadlineMs = 10_000,
  metadata = new Metadata(),
): Promise<Res> {
  return callUnary(client, method, req, deadlineMs, metadata);
}
