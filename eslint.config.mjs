// ESLint flat config: typescript-eslint's recommended (syntax-only, not
// type-checked) rules keep `npm run lint` fast; Prettier owns formatting.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores([
    'dist*/',
    'node_modules/',
    'coverage/',
    'test-artifacts/',
    'bench/results/',
    'reports/',
    '.stryker-tmp/',
  ]),
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    // The browser client runs in pages, not in Node.
    files: ['src/client/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // CommonJS fixtures prove the build loads in require()-based apps.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
