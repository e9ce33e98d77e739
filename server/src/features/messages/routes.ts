import { Elysia } from 'elysia'
import type { AppContext } from '../../context'
import { authGuard } from '../auth/guard'

export function messageRoutes(ctx: AppContext) {
  return new Elysia({ prefix: '/conversations', tags: ['messages'] }).use(authGuard(ctx))
}
