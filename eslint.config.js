// ESLint flat config: strict TypeScript rules, Vue, and the layer boundaries of DESIGN.md.
import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'
import prettierCompat from 'eslint-config-prettier/flat'
import { builtinModules } from 'node:module'
import path from 'node:path'

const ROOT = path.dirname(new URL(import.meta.url).pathname)
const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)])

/**
 * Layer rules: for files under `from`, imports may resolve only inside `allow` (repo-relative
 * dirs); `packages` is true (any), or the list of packages allowed.
 */
const LAYERS = [
  // core is pure: its one package is the schema library (schemas are plain JSON Schema objects).
  {
    from: 'src-daemon/core/',
    allow: ['src-daemon/core/'],
    builtins: false,
    packages: ['@sinclair/typebox']
  },
  // The protocol is imported by the renderer and Electron main: no Node built-ins.
  {
    from: 'src-daemon/api/protocol/',
    allow: ['src-daemon/api/protocol/', 'src-daemon/core/'],
    builtins: false,
    packages: ['@sinclair/typebox']
  },
  {
    from: 'src-daemon/store/',
    allow: ['src-daemon/core/', 'src-daemon/store/', 'src-daemon/api/protocol/'],
    builtins: true,
    packages: true
  },
  {
    from: 'src-daemon/api/',
    allow: ['src-daemon/core/', 'src-daemon/engine/', 'src-daemon/store/', 'src-daemon/api/'],
    builtins: true,
    packages: true
  },
  {
    from: 'src-daemon/daemon/',
    allow: [
      'src-daemon/core/',
      'src-daemon/engine/',
      'src-daemon/store/',
      'src-daemon/api/',
      'src-daemon/daemon/'
    ],
    builtins: true,
    packages: true
  },
  {
    from: 'src-daemon/engine/',
    allow: ['src-daemon/core/', 'src-daemon/engine/'],
    builtins: true,
    packages: true
  },
  {
    from: 'src-renderer/',
    allow: ['src-renderer/', 'src-daemon/api/protocol', 'src-preload/'],
    builtins: false,
    packages: true
  },
  {
    from: 'src-main/',
    allow: ['src-main/', 'src-daemon/api/protocol', 'src-preload/'],
    builtins: true,
    packages: true
  }
]

const boundaries = {
  rules: {
    layers: {
      meta: { type: 'problem', schema: [], messages: { bad: '{{why}}' } },
      create(context) {
        const file = path.relative(ROOT, context.filename).split(path.sep).join('/')
        const layer = LAYERS.find((l) => file.startsWith(l.from))
        if (!layer) return {}
        const check = (node, spec) => {
          if (typeof spec !== 'string') return
          if (spec.startsWith('.')) {
            const target = path
              .relative(ROOT, path.resolve(path.dirname(context.filename), spec))
              .split(path.sep)
              .join('/')
            if (!layer.allow.some((a) => target.startsWith(a) || `${target}/`.startsWith(a))) {
              context.report({
                node,
                messageId: 'bad',
                data: { why: `${layer.from} may not import ${target} (layer boundary)` }
              })
            }
          } else if (BUILTINS.has(spec) || spec.startsWith('node:')) {
            if (!layer.builtins)
              context.report({
                node,
                messageId: 'bad',
                data: { why: `${layer.from} may not import Node built-in ${spec}` }
              })
          } else if (
            layer.packages !== true &&
            !(layer.packages || []).some((p) => spec === p || spec.startsWith(`${p}/`))
          ) {
            context.report({
              node,
              messageId: 'bad',
              data: { why: `${layer.from} may not import package ${spec}` }
            })
          }
        }
        return {
          ImportDeclaration: (n) => check(n, n.source.value),
          ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
          ExportAllDeclaration: (n) => check(n, n.source.value),
          ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value)
        }
      }
    }
  }
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'out/**',
      'dist/**',
      'test/fixtures/**',
      'resources/**',
      'native/**',
      '**/*.d.ts'
    ]
  },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.ts', '**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: {
        parser: tseslint.parser,
        sourceType: 'module',
        extraFileExtensions: ['.vue']
      }
    },
    plugins: { summit: boundaries },
    rules: {
      'summit/layers': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
      ],
      'no-console': 'off',
      'vue/block-lang': ['error', { script: { lang: 'ts' } }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off'
    }
  },
  {
    files: ['src-daemon/core/**/*.ts'],
    rules: { 'no-console': 'error' }
  },
  // Prettier owns layout (also in .vue templates): the stylistic rules that fight it are off.
  prettierCompat
)
