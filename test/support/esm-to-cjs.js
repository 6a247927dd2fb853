// Jest transformer: ccxt's CommonJS build requires ESM-only packages (@noble/hashes 2.x,
// @noble/curves, @scure/*). Node 20 can require() them, jest's CommonJS runtime cannot, so
// jest.config.js routes just those packages through esbuild (already a dependency) to CommonJS.
const { createHash } = require('node:crypto');
const esbuild = require('esbuild');

module.exports = {
  process(source, filename) {
    const out = esbuild.transformSync(source, {
      loader: 'js',
      format: 'cjs',
      target: 'node20',
      sourcefile: filename,
      sourcemap: 'inline',
    });
    return { code: out.code };
  },
  getCacheKey(source, filename) {
    return createHash('sha256').update(esbuild.version).update(filename).update(source).digest('hex');
  },
};
