import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VARIABLE_OF_KEY } from '../../src/config/env-variables.ts';
import { NODE_24 } from '../helpers/cli-process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The CLI's commands, as `callback-relay --help` lists them. */
const COMMANDS = execFileSync(NODE_24, [join(ROOT, 'bin/callback-relay.js'), '--help'], { encoding: 'utf8' })
  .split('Commands:')[1]!.split('\n\n')[0]!.trim().split('\n').map((line) => line.trim().split(/\s+/)[0]!);

/** What a reader types or configures: variables, endpoints, commands and npm scripts named in a document. */
function namedThings(text: string): Set<string> {
  const pattern = /\b(?:RELAY_[A-Z_]*[A-Z]|WECHAT_[A-Z_]*[A-Z]|DATABASE_URL|REDIS_URL|LOG_LEVEL)\b|\/api\/[a-z][a-z/_-]*|\/(?:dashboard|metrics|docs|openapi\.json|healthz|readyz)\b|callback-relay [a-z]+\b|npm (?:run [a-z:]+|test|start)\b/g;
  // "callback-relay is …" in prose is not a command.
  return new Set((text.replace(/\s+/g, ' ').match(pattern) ?? []).filter((thing) => !thing.startsWith('callback-relay ') || COMMANDS.includes(thing.slice('callback-relay '.length))));
}

function missingFrom(from: Set<string>, other: Set<string>): string[] {
  return [...from].filter((item) => !other.has(item)).sort();
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped (letters of any script kept), spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

function anchorsIn(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '');
  return new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1]!)));
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
  return ['README.md', 'README.zh-CN.md', ...docs];
}

describe('the user documentation', () => {
  const english = read('README.md');
  const chinese = read('README.zh-CN.md');

  it('README.md reads top to bottom in under 400 lines', () => {
    expect(english.split('\n').length).toBeLessThan(400);
  });

  it('names the same variables, endpoints and commands in both READMEs', () => {
    const inEnglish = namedThings(english);
    const inChinese = namedThings(chinese);
    expect({ missingFromChinese: missingFrom(inEnglish, inChinese), missingFromEnglish: missingFrom(inChinese, inEnglish) })
      .toEqual({ missingFromChinese: [], missingFromEnglish: [] });
  });

  it('lists every variable the configuration reads in the README configuration table', () => {
    const variables = [...Object.values(VARIABLE_OF_KEY), 'PORT', 'HOST', 'DATABASE_URL', 'REDIS_URL', 'RELAY_CONFIG', 'WECHAT_APPID', 'WECHAT_TOKEN', 'WECHAT_ENCODING_AES_KEY'];
    const table = english.slice(english.indexOf('## Configuration'), english.indexOf('## Commands'));
    expect(variables.filter((variable) => !new RegExp(`\\b${variable}\\b`).test(table))).toEqual([]);
  });

  it('lists every command of the CLI in both READMEs', () => {
    expect(COMMANDS.length).toBeGreaterThan(5);
    for (const readme of [english, chinese]) {
      const table = readme.split('\n').filter((line) => line.startsWith('| `'));
      expect(COMMANDS.filter((command) => !table.some((line) => line.includes(`\`${command}\``)))).toEqual([]);
    }
  });

  it('has a Chinese version of every user document, naming the same things', () => {
    const translated = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md') && !name.endsWith('.zh-CN.md') && read(`docs/${name}`).includes('[中文]('));
    expect(translated.length).toBeGreaterThanOrEqual(9);
    for (const name of translated) {
      const zh = `docs/${name.replace(/\.md$/, '.zh-CN.md')}`;
      expect(existsSync(join(ROOT, zh)), zh).toBe(true);
      const inEnglish = namedThings(read(`docs/${name}`));
      const inChinese = namedThings(read(zh));
      expect({ doc: name, missingFromChinese: missingFrom(inEnglish, inChinese), missingFromEnglish: missingFrom(inChinese, inEnglish) })
        .toEqual({ doc: name, missingFromChinese: [], missingFromEnglish: [] });
    }
  });

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const text = read(file).replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:)/.test(target!)) continue;
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const resolved = path === '' ? join(ROOT, file) : join(dirname(join(ROOT, file)), path);
        if (!existsSync(resolved)) {
          broken.push(`${file}: ${target} (no such file)`);
        } else if (anchor && resolved.endsWith('.md') && !anchorsIn(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor))) {
          broken.push(`${file}: ${target} (no heading #${anchor} in ${relative(ROOT, resolved)})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
