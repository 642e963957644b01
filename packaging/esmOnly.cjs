// Every `require` of pakka lands here (the exports map's require condition): pakka is ES modules only,
// and without this a CommonJS project (what `npm init -y` makes) gets ERR_PACKAGE_PATH_NOT_EXPORTED,
// which sends a team looking for a wrong path instead of at its package.json.
throw new Error(
  'pakka is an ES module package and cannot be loaded with require(): make your project ESM with "type": "module" in its package.json (npm pkg set type=module), or load pakka with import()',
);
