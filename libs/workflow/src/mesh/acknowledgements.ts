// The business acknowledgement a recipient sends back over MESH for one of our messages: a JSON
// body naming our message (MESH's id, or our local id) and whether it was taken in.

/** Acknowledgements come back under our workflow id with this suffix (CROSSTRUST_IPT_ACK...). */
export const ACK_SUFFIX = '_ACK';

export interface Acknowledgement {
  /** MESH's id of the message acknowledged. */
  readonly messageId: string | null;
  /** Our local id of it (`mex-localid`: the dispatch's id). */
  readonly localId: string | null;
  readonly outcome: 'accepted' | 'rejected';
  /** Why a recipient refused it, in its words (kept on the dispatch; a PAS error, never patient data by agreement). */
  readonly reason?: string;
}

export function acknowledgementBody(ack: Acknowledgement): Buffer {
  return Buffer.from(JSON.stringify({ acknowledgement: ack }));
}

/** The acknowledgement in a message body; null when the body is not one. */
export function parseAcknowledgement(body: Buffer): Acknowledgement | null {
  try {
    const parsed = (JSON.parse(body.toString('utf8')) as { acknowledgement?: Partial<Acknowledgement> }).acknowledgement;
    if (!parsed || (parsed.outcome !== 'accepted' && parsed.outcome !== 'rejected')) return null;
    const messageId = typeof parsed.messageId === 'string' ? parsed.messageId : null;
    const localId = typeof parsed.localId === 'string' ? parsed.localId : null;
    if (!messageId && !localId) return null;
    return { messageId, localId, outcome: parsed.outcome, reason: typeof parsed.reason === 'string' ? parsed.reason.slice(0, 200) : undefined };
  } catch {
    return null;
  }
}
