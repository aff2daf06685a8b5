import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { iniKey, parseField, type Field, type SectionSpec } from './config-fields';
import { configRules } from './config-rules';
import { chatInstanceSchema, configSchema, fileInstanceSchema, type ChatInstanceConfig, type FileInstanceConfig, type ParleyConfig } from './config-schema';
import { IniSyntaxError, parseIni, type IniSections, type IniValue } from './ini-parser';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadConfigOptions {
  /** Path of config.ini; default: $PARLEY_CONFIG, else the nearest config.ini above the working directory. */
  file?: string;
  /** Text to parse instead of reading a file (tests). */
  text?: string;
  /** Environment to take PARLEY_* overrides from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

const CHAT_SECTION = /^chat\.([A-Za-z0-9_-]+)$/;
const FILE_SECTION = /^file\.([A-Za-z0-9_-]+)$/;

/** Name of the env variable that overrides `[section] key`, e.g. PARLEY_MYSQL_HOST, PARLEY_CHAT_CHAT1_TCP_PORT. */
export function envName(section: string, key: string): string {
  return `PARLEY_${section.replace(/[.-]/g, '_')}_${iniKey(key)}`.toUpperCase();
}

export function findConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PARLEY_CONFIG) return resolve(env.PARLEY_CONFIG);
  let dir = process.cwd();
  for (;;) {
    const candidate = join(dir, 'config.ini');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new ConfigError(`config.ini not found above ${process.cwd()}; set PARLEY_CONFIG to its path`);
    dir = up;
  }
}

/** Loads, overrides from env, validates and freezes the cluster config. Throws ConfigError naming the bad key. */
export function loadConfig(options: LoadConfigOptions = {}): ParleyConfig {
  const env = options.env ?? process.env;
  const file = options.text === undefined ? (options.file ?? findConfigFile(env)) : (options.file ?? '<config text>');
  const label = options.text === undefined ? file : file;
  let sections: IniSections;
  try {
    const text = options.text ?? readFileSync(file, 'utf8');
    sections = parseIni(text, label);
  } catch (err) {
    if (err instanceof IniSyntaxError) throw new ConfigError(err.message);
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }

  const out: Record<string, unknown> = { source: label };
  for (const [section, spec] of Object.entries(configSchema)) {
    out[section] = readSection(section, spec, sections.get(section), env, label);
  }
  const chatServers: ChatInstanceConfig[] = [];
  const fileServers: FileInstanceConfig[] = [];
  for (const [name, values] of sections) {
    const chat = CHAT_SECTION.exec(name);
    const file = FILE_SECTION.exec(name);
    if (chat) {
      const id = chat[1] as string;
      chatServers.push({ id, ...(readSection(name, chatInstanceSchema, values, env, label) as Omit<ChatInstanceConfig, 'id'>) });
    } else if (file) {
      const id = file[1] as string;
      fileServers.push({ id, ...(readSection(name, fileInstanceSchema, values, env, label) as Omit<FileInstanceConfig, 'id'>) });
    } else if (!(name in configSchema)) {
      const known = [...Object.keys(configSchema), 'chat.<id>', 'file.<id>'].join(', ');
      throw new ConfigError(`${label}:${firstLine(values)}: unknown section [${name}] (known: ${known})`);
    }
  }
  if (chatServers.length === 0) throw new ConfigError(`${label}: no chat server is configured; add a [chat.<id>] section with tcp_port and grpc_port`);
  out.chatServers = chatServers;
  out.fileServers = fileServers;
  for (const rule of configRules) {
    const problem = rule(out as unknown as ParleyConfig);
    if (problem !== undefined) throw new ConfigError(`${label}: ${problem}`);
  }
  return deepFreeze(out) as unknown as ParleyConfig;
}

function readSection(section: string, spec: SectionSpec, values: Map<string, IniValue> | undefined, env: NodeJS.ProcessEnv, file: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const specByIni = new Map<string, [string, Field<unknown>]>();
  for (const [key, field] of Object.entries(spec)) specByIni.set(iniKey(key), [key, field]);
  for (const [key, v] of values ?? []) {
    if (!specByIni.has(key)) {
      throw new ConfigError(`${file}:${v.line}: unknown key "${key}" in [${section}] (known: ${[...specByIni.keys()].join(', ')})`);
    }
  }
  for (const [ini, [key, field]] of specByIni) {
    const fromEnv = env[envName(section, key)];
    const fromFile = values?.get(ini);
    let raw: string | undefined;
    let where: string;
    if (fromEnv !== undefined) {
      raw = fromEnv;
      where = `env ${envName(section, key)}`;
    } else if (fromFile) {
      raw = fromFile.value;
      where = `${file}:${fromFile.line}`;
    } else {
      where = file;
    }
    if (raw === undefined) {
      if (field.default === undefined) {
        throw new ConfigError(`${where}: missing required key "${ini}" in [${section}] (${field.doc})`);
      }
      result[key] = field.default;
      continue;
    }
    const parsed = parseField(field, raw);
    if (!parsed.ok) throw new ConfigError(`${where}: [${section}] ${ini}: ${parsed.error}`);
    result[key] = parsed.value;
  }
  return result;
}

function firstLine(values: Map<string, IniValue>): number {
  let line = 0;
  for (const v of values.values()) if (line === 0 || v.line < line) line = v.line;
  return line;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The [chat.<id>] instance with that id, or a ConfigError listing the ids there are. */
export function chatInstance(config: ParleyConfig, id: string): ChatInstanceConfig {
  const found = config.chatServers.find((c) => c.id === id);
  if (!found) throw new ConfigError(`${config.source}: no [chat.${id}] section (have: ${config.chatServers.map((c) => c.id).join(', ')})`);
  return found;
}

/** The [file.<id>] instance with that id, or a ConfigError listing the ids there are. */
export function fileInstance(config: ParleyConfig, id: string): FileInstanceConfig {
  const found = config.fileServers.find((c) => c.id === id);
  if (!found) throw new ConfigError(`${config.source}: no [file.${id}] section (have: ${config.fileServers.map((c) => c.id).join(', ') || 'none'})`);
  return found;
}
