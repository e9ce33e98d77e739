import type { Db } from '../../db/client'
import type { AuditService } from '../audit/service'

/** Workspaces, members, roles and invites. */
export class WorkspaceService {
  constructor(private db: Db, private audit: AuditService) {}
}
