/**
 * @module
 * AWS event-stream framing for `InvokeEndpointWithResponseStream`: each chunk of server-sent-event
 * bytes travels as the payload of one `PayloadPart` event, as SageMaker Runtime sends it.
 */

import { EventStreamCodec } from '@smithy/eventstream-codec';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const codec = new EventStreamCodec((bytes) => decoder.decode(bytes),
  (text) => encoder.encode(text));

/** One `PayloadPart` event message holding `payload`. */
export function payloadPartMessage(payload: Uint8Array): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: 'event' },
      ':event-type': { type: 'string', value: 'PayloadPart' },
      ':content-type': { type: 'string', value: 'application/octet-stream' },
    },
    body: payload,
  });
}

/**
 * A response body that frames each text chunk of `chunks` as a `PayloadPart` event.
 * @param chunks text to send, chunk by chunk (whole characters only)
 * @param onCancel called when the client goes away before the end
 */
export function eventStreamBody(
  chunks: AsyncIterable<string>,
  onCancel: () => void,
): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(payloadPartMessage(encoder.encode(next.value)));
    },
    async cancel() {
      onCancel();
      await iterator.return?.();
    },
  });
}
