import type { Db } from '../../db/client'
import type { ConversationAccess } from './access'

/** Channels, groups, DMs and lounges, and who takes part in them. */
export class ConversationService {
  constructor(private db: Db, private access: ConversationAccess) {}
}
