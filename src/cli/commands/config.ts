import { maskSecrets } from '../../config/config.ts'
import type { Command } from '../context.ts'

export const config: Command = {
  name: 'config',
  summary: 'validate the configuration and print it with secrets masked',
  usage: 'tributary config check',
  async run(args, ctx) {
    if (args[0] !== 'check') throw new Error(`usage: ${this.usage}`)
    console.log(JSON.stringify(maskSecrets(ctx.config), null, 2))
    return 0
  },
}
