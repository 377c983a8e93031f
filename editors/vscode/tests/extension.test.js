// The client (extension.js) against stand-ins for VS Code and vscode-languageclient: it starts the
// configured `kpi lsp` with the settings as initialization options, and its scenario command asks
// the server for the scenarios and selects the one picked.
"use strict";

const assert = require("node:assert");
const Module = require("node:module");
const path = require("node:path");
const test = require("node:test");

function load(settings, picked) {
  const seen = { started: [], requests: [], commands: {}, errors: [] };
  const vscode = {
    workspace: {
      getConfiguration: () => ({ get: (key) => settings[key] }),
      createFileSystemWatcher: (glob) => ({ glob }),
    },
    window: {
      activeTextEditor: { document: { languageId: "kpi", uri: { toString: () => "file:///m.kpi" } } },
      showErrorMessage: (m) => seen.errors.push(m),
      showInformationMessage: (m) => seen.errors.push(m),
      showQuickPick: async (items) => items.find((i) => i.label === picked),
    },
    commands: { registerCommand: (name, fn) => { seen.commands[name] = fn; return { dispose() {} }; } },
  };
  class LanguageClient {
    constructor(id, name, server, options) {
      seen.started.push({ id, server, options });
    }
    async start() {}
    async stop() {}
    async sendRequest(method, params) {
      seen.requests.push([method, params]);
      return params.command === "kpi.server.scenarios"
        ? { scenarios: [{ name: "q3", label: "Q3" }, { name: "q4", label: null }], selected: "q3" }
        : params.arguments[1];
    }
  }
  const original = Module._load;
  Module._load = function (request, ...rest) {
    if (request === "vscode") return vscode;
    if (request === "vscode-languageclient/node") return { LanguageClient };
    return original.call(this, request, ...rest);
  };
  try {
    const file = path.join(__dirname, "..", "extension.js");
    delete require.cache[file];
    return { extension: require(file), seen };
  } finally {
    Module._load = original;
  }
}

test("activate starts the configured server with the settings", async () => {
  const { extension, seen } = load({ "server.path": ".venv/bin/kpi", "server.args": ["lsp"], debounce: 0.3, scenario: "q4" });
  await extension.activate({ subscriptions: [] });
  assert.deepStrictEqual(seen.started[0].server, { command: ".venv/bin/kpi", args: ["lsp"] });
  assert.deepStrictEqual(seen.started[0].options.initializationOptions, { debounce: 0.3, scenario: "q4" });
  assert.deepStrictEqual(seen.started[0].options.documentSelector, [{ language: "kpi" }]);
  assert.deepStrictEqual(Object.keys(seen.commands).sort(), ["kpi.restartServer", "kpi.selectScenario"]);
});

test("the scenario command lists the scenarios and selects the one picked", async () => {
  const { extension, seen } = load({ "server.path": "kpi", debounce: 0.15 }, "q4");
  await extension.activate({ subscriptions: [] });
  await seen.commands["kpi.selectScenario"]();
  assert.deepStrictEqual(seen.requests, [
    ["workspace/executeCommand", { command: "kpi.server.scenarios", arguments: ["file:///m.kpi"] }],
    ["workspace/executeCommand", { command: "kpi.server.selectScenario", arguments: ["file:///m.kpi", "q4"] }],
  ]);
  assert.deepStrictEqual(seen.errors, []);
});
