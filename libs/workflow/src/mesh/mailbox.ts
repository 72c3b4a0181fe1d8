// The one interface every message to another organisation goes through: MESH in production, a local folder otherwise.

/** A message to send: the recipient's mailbox, MESH's workflow id, our own id for it, and its bytes. */
export interface OutgoingMessage {
  readonly to: string;
  readonly workflowId: string;
  /** Words only, never patient data: MESH shows the subject to everyone who handles the message. */
  readonly subject: string;
  /** Our id for the message (the dispatch's id): `mex-localid`, echoed in acknowledgements. */
  readonly localId: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly fileName: string;
}

/** A message read from our inbox. */
export interface InboxMessage {
  readonly messageId: string;
  readonly from: string | null;
  readonly workflowId: string | null;
  readonly localId: string | null;
  /** DATA (a partner's message) or REPORT (MESH's own, e.g. a message that could not be delivered). */
  readonly messageType: 'DATA' | 'REPORT';
  /** For a report: the message it is about. */
  readonly linkedMessageId: string | null;
  /** For a report: whether the message it is about succeeded. */
  readonly statusSuccess: boolean | null;
  readonly contentType: string | null;
  readonly body: Buffer;
}

/** What MESH knows of a message we sent: `accepted` (waiting in the recipient's inbox), `acknowledged` (downloaded), or an error. */
export interface Tracking {
  readonly messageId: string;
  readonly status: string;
  readonly statusSuccess: boolean | null;
  readonly description: string | null;
}

export interface Mailbox {
  /** `mesh` or `local`, for logs and the docs; nothing decides on it. */
  readonly kind: 'mesh' | 'local';
  /** Sends a message (in chunks when it is large) and answers MESH's id for it. */
  send(message: OutgoingMessage): Promise<string>;
  /** Ids of the messages waiting in our inbox, oldest first. */
  inbox(): Promise<string[]>;
  /** One message, every chunk of it. */
  download(messageId: string): Promise<InboxMessage>;
  /** Takes a read message out of the inbox (MESH's transport acknowledgement). */
  acknowledge(messageId: string): Promise<void>;
  /** What became of a message we sent; null when MESH does not know it. */
  tracking(messageId: string): Promise<Tracking | null>;
}

/** The Nest token of the worker's Mailbox. */
export const MAILBOX = Symbol('MAILBOX');

/**
 * A mailbox operation that failed. `retryable`: MESH was unreachable or busy, or refused our
 * credentials (a setting to fix, not the message): the same message may go later. Otherwise MESH
 * refused the message itself (a bad header, an unknown recipient), and sending it again would fail again.
 */
export class MailboxError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'MailboxError';
  }
}
