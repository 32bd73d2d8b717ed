//! The demo instance seeds realistic content and accepts the README's curl push.

use depwatch_fakebb::{Config, FakeBitbucket};
use serde_json::{json, Value};

#[tokio::test]
async fn demo_seed_and_control_push() {
    let fake = FakeBitbucket::start(Config::default()).await.expect("start");
    let info = depwatch_fakebb::demo::seed(&fake).await.expect("seed");
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let token = info.admin_token.clone();
        async move {
            let bytes = http
                .get(path)
                .bearer_auth(token)
                .send()
                .await
                .expect("send")
                .bytes()
                .await
                .expect("body");
            serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null)
        }
    };
    let api = format!("{}/rest/api/1.0", fake.base_url());
    let all = get(format!("{api}/repos?archived=ALL&limit=100")).await;
    let slugs: Vec<&str> = all["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|r| r["slug"].as_str())
        .collect();
    for slug in ["storefront", "billing-service", "legacy-gems", "new-pipeline", "scratch"] {
        assert!(slugs.contains(&slug), "{slug} in {slugs:?}");
    }
    let active = get(format!("{api}/repos?limit=100")).await;
    assert_eq!(active["size"].as_u64(), Some(all["size"].as_u64().expect("size") - 1));
    let lock = http
        .get(format!("{api}/projects/SHOP/repos/billing-service/raw/Cargo.lock"))
        .bearer_auth(&info.admin_token)
        .send()
        .await
        .expect("raw")
        .text()
        .await
        .expect("text");
    assert!(lock.contains("name = \"time\"\nversion = \"0.1.43\""));

    // The README's curl example, as HTTP.
    let resp = http
        .post(format!("{}/_control/projects/DATA/repos/reporting/push", fake.base_url()))
        .header("Content-Type", "application/json")
        .body(
            json!({"actor": "jdoe", "ops": [{"op": "commit", "branch": "main", "author": "jdoe",
                   "message": "Pin jinja2", "files": {"requirements.txt": "jinja2==2.4.1\n"}}]})
            .to_string(),
        )
        .send()
        .await
        .expect("push");
    assert_eq!(resp.status().as_u16(), 200);
    let report: Value = serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!(report["changes"][0]["type"], "UPDATE");
    let req = http
        .get(format!(
            "{api}/projects/DATA/repos/reporting/raw/requirements.txt?at=refs%2Fheads%2Fmain"
        ))
        .bearer_auth(&info.admin_token)
        .send()
        .await
        .expect("raw")
        .text()
        .await
        .expect("text");
    assert_eq!(req, "jinja2==2.4.1\n");
}
