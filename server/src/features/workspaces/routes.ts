import { Elysia } from 'elysia'
import type { AppContext } from '../../context'
import { authGuard } from '../auth/guard'

export function workspaceRoutes(ctx: AppContext) {
  return new Elysia({ prefix: '/workspaces', tags: ['workspaces'] }).use(authGuard(ctx))
}
