/**
 * One request as the fake endpoint's router sees it once the service has read it: the operation, what it
 * names (for the call record and for matching faults), and how to answer it.
 */
import type { Reply, ServiceName } from "./wire.js";

export interface Call {
  service: ServiceName;
  /** The API operation (`GetKeyPolicy`, `ListBuckets`, …). */
  operation: string;
  /** The key id (as the request gave it: id, ARN or alias) or bucket name the call is about. */
  resource?: string;
  /** Every name a fault's Resource may use for that resource; asked only when a fault for the operation exists. */
  names?: () => readonly string[];
  /** The resource's ARN when it exists (for the message of an injected AccessDenied). */
  arn?: () => string | undefined;
  /** The reply; throws a ServiceError for the service's errors. */
  answer: () => Reply;
}
