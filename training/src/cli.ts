/**
 * @module training/cli — `aisle`: the operator's command-line tool. One line on stderr and a
 * non-zero exit for bad input (2 for a wrong command line, 1 for unusable data), never a stack trace.
 */
import { parseArgs } from 'node:util';
import { evalAnomalyCommand, scoreAnomalyCommand, trainAnomalyCommand } from './commands/anomaly';
import { catalogPack } from './commands/catalog';
import { evalChurn, scoreChurn, trainChurn } from './commands/churn';
import { type Command, UsageError, type Values } from './commands/command';
import { evalRecommender } from './commands/eval-recommender';
import { scoreProfileCommand, trainProfileCommand } from './commands/profile';
import { recommendCommand, trainRecommenderCommand } from './commands/recommender';
import { keysGenerate, keysRegister, modelsList, publish, rollback } from './commands/registry';
import { DataError } from './data/errors';

const COMMANDS: Record<string, Command> = {
  'train churn': trainChurn,
  'score churn': scoreChurn,
  'eval churn': evalChurn,
  'train anomaly': trainAnomalyCommand,
  'score anomaly': scoreAnomalyCommand,
  'eval anomaly': evalAnomalyCommand,
  'train profile': trainProfileCommand,
  'score profile': scoreProfileCommand,
  'train recommender': trainRecommenderCommand,
  recommend: recommendCommand,
  'eval recommender': evalRecommender,
  'catalog pack': catalogPack,
  'keys generate': keysGenerate,
  'keys register': keysRegister,
  publish,
  'models list': modelsList,
  rollback,
};

const overview = () =>
  `aisle — train, evaluate and score Aisle's models

Usage: aisle COMMAND [options]    (aisle COMMAND --help for its options)

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(20)} ${c.summary}`)
  .join('\n')}`;

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    // The command is the words before the first option: `aisle eval recommender --events FILE`.
    const firstOption = argv.findIndex((a) => a.startsWith('-'));
    const words = firstOption < 0 ? [...argv] : argv.slice(0, firstOption);
    const name = [words.slice(0, 2).join(' '), words[0]].find((n) => n && n in COMMANDS);
    if (!name) {
      if (!words.length && (argv.includes('--help') || argv.includes('-h') || !argv.length)) {
        console.log(overview());
        return 0;
      }
      const group = Object.keys(COMMANDS).filter((n) => n.startsWith(`${words[0]} `));
      if (group.length && words.length === 1) {
        throw new UsageError(`${words[0]} what? one of: ${group.map((n) => n.split(' ')[1]).join(', ')}`);
      }
      throw new UsageError(`unknown command "${words.join(' ')}" (aisle --help lists them)`);
    }
    const command = COMMANDS[name];
    const rest = argv.slice(name.split(' ').length);
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(command.help);
      return 0;
    }
    let values: Values;
    try {
      const parsed = parseArgs({
        args: rest,
        options: command.options,
        strict: true,
        allowPositionals: Boolean(command.positional),
      });
      values = parsed.values as Values;
      if (command.positional) {
        if (parsed.positionals.length !== 1)
          throw new UsageError(`${name}: expected one ${command.positional.toUpperCase()}`);
        values[command.positional] = parsed.positionals[0];
      }
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${name}: ${(error as Error).message.split('\n')[0]}`);
    }
    await command.run(values);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`aisle: ${error.message}`);
      return 2;
    }
    if (error instanceof DataError) {
      console.error(`aisle: ${error.message}`);
      return 1;
    }
    console.error(`aisle: failed: ${(error as Error).message ?? error}`);
    return 1;
  }
}
