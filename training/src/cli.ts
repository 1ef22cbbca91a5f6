/**
 * @module training/cli — `aisle`: the operator's command-line tool. Each command is declared as
 * data (`commands/`); commander parses its options and writes its `--help` from that declaration.
 * One line on stderr and a non-zero exit for bad input (2 for a wrong command line, 1 for unusable
 * data), never a stack trace.
 */
import { Command as CommanderCommand, CommanderError, Option } from 'commander';
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

/** The command as commander parses it: its options and `--help` made from the same declaration. */
function parserFor(name: string, command: Command): CommanderCommand {
  const parser = new CommanderCommand(`aisle ${name}`)
    // Paragraphs as one line each: commander wraps them to the terminal.
    .description(`${command.summary}\n\n${command.description.replace(/([^\n])\n(?!\n)/g, '$1 ')}`)
    .helpOption('-h, --help', 'this help')
    .exitOverride()
    .configureOutput({ writeOut: (text) => process.stdout.write(text), writeErr: () => {} })
    .allowExcessArguments(false);
  if (command.usage) parser.usage(`${command.usage.join(`\n       aisle ${name} `)}`);
  if (command.positional) parser.argument(`<${command.positional.name}>`, command.positional.help);
  for (const [option, spec] of Object.entries(command.options)) {
    const declared = new Option(spec.value ? `--${option} <${spec.value}>` : `--${option}`, spec.help);
    if (spec.default !== undefined) declared.default(spec.default);
    parser.addOption(declared);
  }
  return parser;
}

/** The command's values by their option names (`as-of`, not commander's `asOf`), and its positional. */
function valuesOf(parser: CommanderCommand, command: Command): Values {
  const values: Values = {};
  for (const option of Object.keys(command.options)) {
    values[option] = parser.getOptionValue(option.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()));
  }
  if (command.positional) values[command.positional.name] = parser.args[0];
  return values;
}

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
    const parser = parserFor(name, command);
    try {
      parser.parse(argv.slice(name.split(' ').length), { from: 'user' });
    } catch (error) {
      if (error instanceof CommanderError) {
        if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return 0;
        throw new UsageError(`${name}: ${error.message.replace(/^error: /, '')}`);
      }
      throw error;
    }
    await command.run(valuesOf(parser, command));
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
