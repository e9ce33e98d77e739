import type { Db } from '../../db/client'
import type { ConversationAccess } from '../conversations/access'

/** Messages: send with gap-free seq, history by cursor, edits, deletes, reactions, threads, read state. */
export class MessageService {
  constructor(private db: Db, private access: ConversationAccess) {}
}
