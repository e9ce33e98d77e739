export * from './identity'
export * from './audit'
export * from './mail'
export * from './messaging'
