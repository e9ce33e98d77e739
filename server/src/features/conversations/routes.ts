import { Elysia } from 'elysia'
import type { AppContext } from '../../context'
import { authGuard } from '../auth/guard'

export function conversationRoutes(ctx: AppContext) {
  return new Elysia({ prefix: '/conversations', tags: ['conversations'] }).use(authGuard(ctx))
}
