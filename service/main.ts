/** `npm start`: Vigil with the embedded store, configured from the environment. */
import { optionsFromEnv } from '../core/config.ts'
import { createJsonLogger } from '../core/logger.ts'
import { startVigil } from './vigil.ts'

const options = optionsFromEnv()
const logger = createJsonLogger({ level: options.logLevel ?? 'info' })

try {
  const vigil = await startVigil(options, { logger })
  const stop = (signal: string) => {
    logger.info('shutdownRequested', { signal })
    vigil.close().then(
      () => process.exit(0),
      (error) => {
        logger.error('shutdownFailed', { error })
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
} catch (error) {
  logger.error('startFailed', { error })
  process.exit(1)
}
