// `npm test` runs every suite below; `npx mocha out/test/unit/x.test.js` runs just the files named
// (mocha otherwise adds the configured spec to the named files and runs the whole suite).
const named = process.argv.slice(2).some((a) => a.endsWith('.test.js'));

module.exports = {
  spec: named
    ? []
    : ['out/test/unit/**/*.test.js', 'out/test/cli/**/*.test.js', 'out/test/server/**/*.test.js', 'out/test/crash/**/*.test.js'],
  // every suite runs git with an empty HOME of its own (test/helpers/tempHome.ts)
  require: ['out/test/helpers/tempHome.js'],
  timeout: 60000,
  reporter: 'spec',
};
