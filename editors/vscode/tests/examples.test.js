// The grammar on the project's examples, through VS Code's own TextMate engine: every character
// that is not white space gets a scope of its own, nothing is marked invalid, and every declared
// name, entry key and comment is coloured as what it is. Run by `npm test` (node's test runner).
"use strict";

const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const test = require("node:test");
const oniguruma = require("vscode-oniguruma");
const textmate = require("vscode-textmate");

const root = path.resolve(__dirname, "..", "..", "..");
const examples = fs.readdirSync(path.join(root, "examples")).filter((f) => f.endsWith(".kpi")).sort();

async function grammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () =>
      textmate.parseRawGrammar(fs.readFileSync(path.join(__dirname, "..", "syntaxes", "kpi.tmLanguage.json"), "utf8"), "kpi.tmLanguage.json"),
  });
  return registry.loadGrammar("source.kpi");
}

function tokens(g, text) {
  let state = textmate.INITIAL;
  return text.split("\n").map((line) => {
    const result = g.tokenizeLine(line, state);
    state = result.ruleStack;
    return { line, tokens: result.tokens };
  });
}

const loaded = grammar();

test("the examples are found", () => assert.ok(examples.length >= 4, examples.join(", ")));

for (const name of examples) {
  test(`grammar on examples/${name}`, async () => {
    const g = await loaded;
    const text = fs.readFileSync(path.join(root, "examples", name), "utf8");
    const lines = tokens(g, text);
    let declared = 0;
    lines.forEach(({ line, tokens: toks }, n) => {
      const where = `examples/${name}:${n + 1}`;
      for (const t of toks) {
        const piece = line.slice(t.startIndex, t.endIndex);
        const scopes = t.scopes.join(" ");
        assert.ok(!scopes.includes("invalid"), `${where}: \`${piece}\` is marked invalid (${scopes})`);
        if (piece.trim() !== "") {
          assert.ok(t.scopes.length > 1, `${where}: \`${piece}\` has no scope of its own`);
        }
      }
      const scopeAt = (index) => toks.find((t) => t.startIndex <= index && index < t.endIndex).scopes.join(" ");
      const decl = /^\s*(kgi|kpi|veto|metric|input)\s+([^\W\d][\w]*)/u.exec(line);
      if (decl) {
        declared += 1;
        assert.match(scopeAt(line.indexOf(decl[1])), /storage\.type\.indicator\.kpi/, where);
        assert.match(scopeAt(line.indexOf(decl[2], decl[0].length - decl[2].length)), /entity\.name\.type\.indicator\.kpi/, where);
      }
      const comment = line.indexOf("#");
      if (/^\s*#/.test(line)) {
        assert.match(scopeAt(comment), /comment\.line/, where);
      }
      const key = /^\s*(value|target|weight|owner|unit|source|period|baseline|stretch|parent|type):/.exec(line);
      if (key) {
        assert.match(scopeAt(line.indexOf(key[1])), /support\.type\.property-name\.kpi/, where);
      }
    });
    assert.ok(declared > 5, `only ${declared} declarations seen`);
  });
}
