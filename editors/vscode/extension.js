// The VS Code client of `kpi lsp`: starts the server (the `kpi.server.path` setting), passes the
// settings as initialization options, and adds the command that picks the scenario whose scores
// hovers and inlay hints show.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function settings() {
  const config = vscode.workspace.getConfiguration("kpi");
  return {
    command: config.get("server.path") || "kpi",
    args: config.get("server.args") || ["lsp"],
    options: { debounce: config.get("debounce"), scenario: config.get("scenario") || undefined },
  };
}

async function start(context) {
  const { command, args, options } = settings();
  client = new LanguageClient(
    "kpi",
    "KPI language server",
    { command, args },
    {
      documentSelector: [{ language: "kpi" }],
      initializationOptions: options,
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/{kpi.toml,pyproject.toml}") },
    },
  );
  try {
    await client.start();
  } catch (err) {
    vscode.window.showErrorMessage(
      `Could not start \`${command} ${args.join(" ")}\`: ${err.message || err}. ` +
        "Install it with `pip install 'kpidsl[lsp]'`, or set `kpi.server.path`.",
    );
  }
}

async function selectScenario() {
  const editor = vscode.window.activeTextEditor;
  if (!client || !editor || editor.document.languageId !== "kpi") {
    return;
  }
  const uri = editor.document.uri.toString();
  const found = await client.sendRequest("workspace/executeCommand", { command: "kpi.server.scenarios", arguments: [uri] });
  const items = (found && found.scenarios ? found.scenarios : []).map((s) => ({
    label: s.name,
    description: s.label || "",
    picked: s.name === found.selected,
  }));
  if (items.length === 0) {
    vscode.window.showInformationMessage("This file has no scenario (or does not compile yet).");
    return;
  }
  const picked = await vscode.window.showQuickPick(items, { placeHolder: `Scenario shown (now: ${found.selected})` });
  if (picked) {
    await client.sendRequest("workspace/executeCommand", { command: "kpi.server.selectScenario", arguments: [uri, picked.label] });
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("kpi.selectScenario", selectScenario),
    vscode.commands.registerCommand("kpi.restartServer", async () => {
      if (client) {
        await client.stop();
      }
      await start(context);
    }),
  );
  await start(context);
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
