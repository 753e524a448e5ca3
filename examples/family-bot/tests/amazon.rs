//! The seller account through the reference bot, as an owner uses it: `/amazon connect` and
//! `/amazon route` in the console chat, then an order notification sent to a real SQS queue
//! (moto) shows up in the chat. SP-API and Login with Amazon are the mock server shaped like
//! Amazon's models. Runs when `FA_TEST_SQS_URL` is set (the README's test command sets it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use fa_amazon::testing::{LWA_PATH, MockSpApi, NOTIFICATION_EXAMPLES, TestQueue, sqs_endpoint};
use serde_json::Value;

/// Lines the bot prints, until one contains `needle` (fails after 60 s).
fn read_until(lines: &mpsc::Receiver<String>, needle: &str, seen: &mut Vec<String>) {
    loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                let hit = line.contains(needle);
                seen.push(line);
                if hit {
                    return;
                }
            }
            Err(_) => panic!("no {needle:?} from the bot; it printed {seen:#?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_notification_reaches_the_owner_in_the_chat() {
    let Some(endpoint) = sqs_endpoint().unwrap() else {
        eprintln!("skipped: FA_TEST_SQS_URL is not set");
        return;
    };
    let mock = MockSpApi::start().await;
    mock.lwa_grants("Atza|bot", 3600).await;
    let queue = TestQueue::create(&endpoint, 5).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bot.toml");
    std::fs::write(
        &config,
        format!(
            "[amazon]\nclient_id = \"amzn1.application-oa2-client.test\"\nqueue_url = \"{}\"\nqueue_region = \"us-east-1\"\n",
            queue.config.queue_url
        ),
    )
    .unwrap();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_family-bot"));
    for name in [
        "FA_MASTER_KEY",
        "FA_MASTER_KEY_FILE",
        "TELEGRAM_BOT_TOKEN",
        "TZ",
        "FA_OPENAI_BASE_URL",
    ] {
        cmd.env_remove(name);
    }
    let mut child = cmd
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("FA_OWNER_NAME", "Alex")
        .env("FA_TIMEZONE", "Europe/Berlin")
        .env("OLLAMA_HOST", format!("127.0.0.1:{closed_port}"))
        .env("FA_AMAZON_CLIENT_SECRET", "app-secret")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("FA_AMAZON_SQS_ENDPOINT", &endpoint)
        .env("FA_AMAZON_SP_API_URL", mock.server().uri())
        .env(
            "FA_AMAZON_LWA_URL",
            format!("{}{LWA_PATH}", mock.server().uri()),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    read_until(&lines, "amazon:    reading", &mut seen);
    read_until(&lines, "type a message", &mut seen);

    writeln!(stdin, "/amazon connect na ATVPDKIKX0DER Atzr|from-the-chat").unwrap();
    read_until(&lines, "Connected:", &mut seen);
    writeln!(stdin, "/amazon route Alex orders").unwrap();
    read_until(
        &lines,
        "Alex now receives ORDER_CHANGE, as it comes.",
        &mut seen,
    );

    // Amazon's ORDER_CHANGE example, as a status change of a new order.
    let mut body: Value = serde_json::from_str(NOTIFICATION_EXAMPLES[0]).unwrap();
    let change = &mut body["Payload"]["OrderChangeNotification"];
    change["AmazonOrderId"] = "111-2223334-5556667".into();
    change["OrderChangeType"] = "OrderStatusChange".into();
    change["Summary"]["OrderStatus"] = "Shipped".into();
    queue.send(&[body.to_string()]).await.unwrap();
    read_until(
        &lines,
        "Order 111-2223334-5556667 is now Shipped",
        &mut seen,
    );

    writeln!(stdin, "/quit").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        !logs.contains("from-the-chat") && !logs.contains("app-secret"),
        "secrets in the logs: {logs}"
    );
    assert_eq!(
        queue.depth().await.unwrap(),
        0,
        "the message was deleted once stored"
    );
}
