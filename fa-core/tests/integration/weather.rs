//! The `weather` tool against a local stand-in for Open-Meteo. The bodies follow the documented
//! responses: geocoding at <https://open-meteo.com/en/docs/geocoding-api> (`results` is left out
//! when nothing matches: "Empty fields are not returned"), forecast at
//! <https://open-meteo.com/en/docs> (`current`/`current_units`, `daily`/`daily_units`).
#![cfg(feature = "weather")]

use std::time::Duration;

use fa_core::assistant::tools::{WeatherOptions, WeatherTool};
use fa_core::assistant::{Tool, ToolError};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::assistant_support::tool_context;

fn berlin() -> Value {
    json!({
        "results": [{
            "id": 2950159,
            "name": "Berlin",
            "latitude": 52.52437,
            "longitude": 13.41053,
            "elevation": 74.0,
            "feature_code": "PPLC",
            "country_code": "DE",
            "admin1_id": 2950157,
            "timezone": "Europe/Berlin",
            "population": 3426354,
            "postcodes": ["10967", "13347"],
            "country_id": 2921044,
            "country": "Germany",
            "admin1": "Berlin"
        }],
        "generationtime_ms": 0.9
    })
}

fn forecast() -> Value {
    json!({
        "latitude": 52.52,
        "longitude": 13.419998,
        "generationtime_ms": 0.06,
        "utc_offset_seconds": 3600,
        "timezone": "Europe/Berlin",
        "timezone_abbreviation": "GMT+1",
        "elevation": 38.0,
        "current_units": {
            "time": "iso8601",
            "interval": "seconds",
            "temperature_2m": "°C",
            "weather_code": "wmo code",
            "wind_speed_10m": "km/h"
        },
        "current": {
            "time": "2026-11-19T14:15",
            "interval": 900,
            "temperature_2m": 7.3,
            "weather_code": 3,
            "wind_speed_10m": 12.0
        },
        "daily_units": {
            "time": "iso8601",
            "temperature_2m_max": "°C",
            "temperature_2m_min": "°C",
            "precipitation_probability_max": "%",
            "weather_code": "wmo code"
        },
        "daily": {
            "time": ["2026-11-19", "2026-11-20", "2026-11-21"],
            "temperature_2m_max": [9.1, -0.04, 5.0],
            "temperature_2m_min": [4.2, -2.5, 1.0],
            "precipitation_probability_max": [60, null, 10],
            "weather_code": [61, 71, 0]
        }
    })
}

fn options(server: &MockServer) -> WeatherOptions {
    WeatherOptions::default()
        .base_url(server.uri())
        .geocoding_url(server.uri())
        .request_timeout(Duration::from_secs(5))
}

async fn mount_geocoder(server: &MockServer, body: Value) {
    Mock::given(method("GET"))
        .and(path("/v1/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn call(tool: &WeatherTool, arguments: Value) -> Result<String, ToolError> {
    let (ctx, _guard) = tool_context().await;
    tool.call(&ctx, arguments).await
}

fn query(request: &wiremock::Request) -> Vec<(String, String)> {
    request.url.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn weather_reports_current_conditions_and_forecast() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/search"))
        .and(query_param("name", "Berlin"))
        .and(query_param("count", "1"))
        .and(query_param("language", "en"))
        .and(query_param("format", "json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(berlin()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/forecast"))
        .respond_with(ResponseTemplate::new(200).set_body_json(forecast()))
        .expect(1)
        .mount(&server)
        .await;
    let tool = WeatherTool::new(options(&server)).unwrap();

    let text = call(&tool, json!({"place": "Berlin", "days": 2}))
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let forecast_request = requests
        .iter()
        .find(|r| r.url.path() == "/v1/forecast")
        .unwrap();
    let params = query(forecast_request);
    let param = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {key} in {params:?}"))
    };
    assert_eq!(param("latitude"), "52.52437");
    assert_eq!(param("longitude"), "13.41053");
    assert_eq!(param("forecast_days"), "2");
    assert_eq!(param("timezone"), "auto");
    assert_eq!(
        param("current"),
        "temperature_2m,weather_code,wind_speed_10m"
    );
    assert_eq!(
        param("daily"),
        "temperature_2m_max,temperature_2m_min,precipitation_probability_max,weather_code"
    );

    assert!(text.starts_with("Berlin, Germany:"), "{text}");
    assert!(
        text.contains("now 7.3 °C, overcast, wind 12 km/h."),
        "{text}"
    );
    assert!(
        text.contains("Thu 19 Nov: 4.2–9.1 °C, precipitation 60 %, light rain."),
        "{text}"
    );
    assert!(
        text.contains("Fri 20 Nov: -2.5 to 0 °C, light snow."),
        "{text}"
    );
    assert!(
        !text.contains("Sat 21 Nov"),
        "only the days asked for: {text}"
    );
}

#[tokio::test]
async fn weather_asks_for_three_days_by_default() {
    let server = MockServer::start().await;
    mount_geocoder(&server, berlin()).await;
    Mock::given(method("GET"))
        .and(path("/v1/forecast"))
        .and(query_param("forecast_days", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(forecast()))
        .expect(1)
        .mount(&server)
        .await;
    let tool = WeatherTool::new(options(&server)).unwrap();

    let text = call(&tool, json!({"place": " Berlin "})).await.unwrap();
    assert!(text.contains("overcast"), "{text}");
}

#[tokio::test]
async fn weather_fails_for_an_unknown_place() {
    let server = MockServer::start().await;
    mount_geocoder(&server, json!({"generationtime_ms": 0.4})).await;
    Mock::given(path("/v1/forecast"))
        .respond_with(ResponseTemplate::new(200).set_body_json(forecast()))
        .expect(0)
        .mount(&server)
        .await;
    let tool = WeatherTool::new(options(&server)).unwrap();

    let error = call(&tool, json!({"place": "Atlantis"})).await.unwrap_err();
    match error {
        ToolError::Failed(message) => assert!(message.contains("Atlantis"), "{message}"),
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[tokio::test]
async fn weather_fails_when_the_forecast_service_errs() {
    let server = MockServer::start().await;
    mount_geocoder(&server, berlin()).await;
    Mock::given(path("/v1/forecast"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error": true, "reason": "Internal error"})),
        )
        .mount(&server)
        .await;
    let tool = WeatherTool::new(options(&server)).unwrap();

    let error = call(&tool, json!({"place": "Berlin"})).await.unwrap_err();
    assert!(
        matches!(&error, ToolError::Failed(m) if m.contains("try again")),
        "{error:?}"
    );
}

#[tokio::test]
async fn weather_fails_on_an_unreadable_answer() {
    let server = MockServer::start().await;
    mount_geocoder(&server, berlin()).await;
    Mock::given(path("/v1/forecast"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>busy</html>"))
        .mount(&server)
        .await;
    let tool = WeatherTool::new(options(&server)).unwrap();

    let error = call(&tool, json!({"place": "Berlin"})).await.unwrap_err();
    assert!(
        matches!(&error, ToolError::Failed(m) if m.contains("could not read")),
        "{error:?}"
    );
}

#[tokio::test]
async fn weather_fails_when_the_service_is_too_slow() {
    let server = MockServer::start().await;
    mount_geocoder(&server, berlin()).await;
    Mock::given(path("/v1/forecast"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(forecast())
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let tool =
        WeatherTool::new(options(&server).request_timeout(Duration::from_millis(200))).unwrap();

    let error = call(&tool, json!({"place": "Berlin"})).await.unwrap_err();
    assert!(
        matches!(&error, ToolError::Failed(m) if m.contains("time")),
        "{error:?}"
    );
}

#[tokio::test]
async fn weather_rejects_missing_or_bad_arguments() {
    let server = MockServer::start().await;
    let tool = WeatherTool::new(options(&server)).unwrap();
    for arguments in [
        json!({}),
        json!({"place": ""}),
        json!({"place": "   "}),
        json!({"place": 7}),
        json!({"place": "Berlin", "days": 0}),
        json!({"place": "Berlin", "days": 8}),
        json!({"place": "Berlin", "days": "soon"}),
        json!("Berlin"),
    ] {
        let error = call(&tool, arguments.clone()).await.unwrap_err();
        assert!(
            matches!(error, ToolError::InvalidArguments(_)),
            "{arguments}: {error:?}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn weather_tool_describes_itself_and_checks_its_options() {
    let tool = WeatherTool::new(WeatherOptions::default()).unwrap();
    assert_eq!(tool.name(), "weather");
    assert!(!tool.changes_state());
    let parameters = tool.parameters();
    assert_eq!(parameters["required"], json!(["place"]));
    assert_eq!(parameters["properties"]["days"]["maximum"], json!(7));

    assert!(WeatherTool::new(WeatherOptions::default().base_url("ftp://example.org")).is_err());
    assert!(WeatherTool::new(WeatherOptions::default().geocoding_url("")).is_err());
    assert!(WeatherTool::new(WeatherOptions::default().request_timeout(Duration::ZERO)).is_err());
}
