//! Test harness: the real command set behind a mock-runtime window, called as the UI calls
//! it (`invoke(cmd, args)` with camelCase JSON), answering with the JSON the UI receives.

use crate::{build_app, Shell, MAIN_WINDOW};
use depwatch_app::{App, DataDir};
use serde_json::Value;
use std::path::Path;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::webview::InvokeRequest;
use tauri::{WebviewWindow, WebviewWindowBuilder};

pub(crate) struct Ipc {
    /// Kept alive: the window needs its app (and tests listen on it).
    pub(crate) app: tauri::App<MockRuntime>,
    pub(crate) webview: WebviewWindow<MockRuntime>,
}

impl Ipc {
    /// The desktop's commands over `shell`.
    pub(crate) fn new(shell: Shell) -> Ipc {
        let app = build_app(mock_builder(), shell).build(mock_context(noop_assets())).unwrap();
        let webview =
            WebviewWindowBuilder::new(&app, MAIN_WINDOW, Default::default()).build().unwrap();
        Ipc { app, webview }
    }

    /// Over the data folder `dir`, with secrets in a file: tests never touch the keychain.
    pub(crate) fn open(dir: &Path) -> Ipc {
        std::env::set_var(depwatch_app::SECRET_STORE_ENV, "file");
        Ipc::new(Shell::new(App::open(DataDir::new(dir.to_path_buf())).map_err(|e| e.to_string())))
    }

    /// The command's answer, or its serialized error.
    pub(crate) fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }

    /// The answer of a command that must succeed.
    pub(crate) fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args).unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    /// The error of a command that must fail.
    pub(crate) fn err(&self, cmd: &str, args: Value) -> Value {
        match self.call(cmd, args) {
            Ok(v) => panic!("{cmd} should fail, answered {v}"),
            Err(e) => e,
        }
    }
}
