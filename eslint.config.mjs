// ESLint: typescript-eslint's type-aware recommended rules over apps, libs and tests; formatting is
// Prettier's (eslint-config-prettier turns off the rules it owns). `npm run lint` runs both.
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/**', 'generated/**', 'node_modules/**', '.data/**', 'test-output/**', 'coverage/**'] },
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ['**/*.ts'],
    rules: {
      // Parameters kept for a signature's shape (a decorator's, an interface's) start with an underscore.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The suites read JSON answers (supertest's `res.body` is `any` by design) and assert on them:
    // the unsafe-any family would have every assertion cast first, which checks nothing more.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Fakes implement async interfaces (a channel's send) without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  prettier,
);
