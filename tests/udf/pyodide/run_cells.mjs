// Runs the yibao Excel functions inside Pyodide (the Python that xlwings Lite runs in the workbook),
// offline, from the npm package `pyodide`. Usage:
//   node run_cells.mjs <pyodide package dir> <repo root> <cases.json>
// Prints one JSON line: {"python": "...", "results": [...]} — each result is what the cell returns.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pkgDir, repo, casesFile] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(path.join(pkgDir, "pyodide.mjs")).href);
const py = await loadPyodide({ indexURL: pkgDir + path.sep });
// the project's sources, read-only as xlwings Lite would hold them in the workbook
py.mountNodeFS("/repo", repo);
py.globals.set("CASES_JSON", readFileSync(casesFile, "utf8"));
const out = py.runPython(`
import json, sys, types
sys.path.insert(0, "/repo")
# xlwings Lite provides \`xlwings\` with pass-through func/arg/ret decorators; here, a stand-in with the same names
xw = types.ModuleType("xlwings")
def _passthrough(*a, **k):
    if len(a) == 1 and callable(a[0]) and not k:
        return a[0]
    return lambda f: f
xw.func = xw.arg = xw.ret = xw.script = _passthrough
class _Book:
    @staticmethod
    def caller():
        raise RuntimeError("no caller in Lite")
xw.Book = _Book
sys.modules["xlwings"] = xw
import udf
cases = json.loads(CASES_JSON)
udf.functions.use_settings_text(cases["settings"])
results = []
for name, args in cases["cells"]:
    results.append(getattr(udf, name)(*args))
json.dumps({"python": sys.version.split()[0], "results": results, "pandas_loaded": "pandas" in sys.modules})
`);
console.log(out);
