import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema, configurationReference } from './config-docs.ts';

/** `npm run docs:config`: writes docs/config.schema.json and docs/configuration.md from the schema. */
const docs = fileURLToPath(new URL('../docs/', import.meta.url));
writeFileSync(`${docs}config.schema.json`, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
writeFileSync(`${docs}configuration.md`, configurationReference());
console.error('wrote docs/config.schema.json and docs/configuration.md');
