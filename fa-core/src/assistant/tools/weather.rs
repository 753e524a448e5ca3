//! The `weather` tool: current conditions and a short forecast from Open-Meteo, which needs no
//! API key. Places are found with Open-Meteo's geocoding API
//! (<https://open-meteo.com/en/docs/geocoding-api>), the weather with its forecast API
//! (<https://open-meteo.com/en/docs>).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::parse_arguments;
use crate::Error;
use crate::assistant::{Tool, ToolContext, ToolError};

const DEFAULT_DAYS: u8 = 3;
const MAX_DAYS: u8 = 7;
/// Longer than any real place name; keeps a runaway argument out of the request URL.
const MAX_PLACE_LEN: usize = 200;

/// Options for [`WeatherTool`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WeatherOptions {
    /// The forecast API's base URL.
    pub base_url: String,
    /// The geocoding API's base URL.
    pub geocoding_url: String,
    /// How long one HTTP request may take, answer included.
    pub request_timeout: Duration,
}

impl Default for WeatherOptions {
    fn default() -> Self {
        Self {
            base_url: "https://api.open-meteo.com".to_owned(),
            geocoding_url: "https://geocoding-api.open-meteo.com".to_owned(),
            request_timeout: Duration::from_secs(10),
        }
    }
}

impl WeatherOptions {
    /// Sets the forecast API's base URL (a mirror, a self-hosted Open-Meteo, or a test server).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Sets the geocoding API's base URL.
    pub fn geocoding_url(mut self, url: impl Into<String>) -> Self {
        self.geocoding_url = url.into();
        self
    }

    /// Sets how long one HTTP request may take.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }
}

/// The `weather` tool: current conditions and a short forecast from Open-Meteo (no API key).
///
/// It only reads, so its calls need no confirmation.
#[derive(Debug, Clone)]
pub struct WeatherTool {
    client: reqwest::Client,
    forecast_url: String,
    search_url: String,
}

impl WeatherTool {
    /// A tool that asks the services in `options`. Fails when a URL is not `http(s)://…` or the
    /// timeout is zero.
    pub fn new(options: WeatherOptions) -> crate::Result<Self> {
        let base = checked_url("weather base_url", &options.base_url)?;
        let geocoding = checked_url("weather geocoding_url", &options.geocoding_url)?;
        if options.request_timeout.is_zero() {
            return Err(Error::invalid(
                "weather request_timeout",
                "must be more than zero",
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(options.request_timeout)
            .user_agent(concat!("fa/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| Error::Io {
                context: "setting up the weather tool's HTTP client".to_owned(),
                source: std::io::Error::other(error),
            })?;
        Ok(Self {
            client,
            forecast_url: format!("{base}/v1/forecast"),
            search_url: format!("{geocoding}/v1/search"),
        })
    }

    async fn get<T: DeserializeOwned>(
        &self,
        url: &str,
        query: &[(&str, String)],
        what: &'static str,
    ) -> Result<T, ToolError> {
        let response = self
            .client
            .get(url)
            .query(query)
            .send()
            .await
            .map_err(|error| http_failure(what, &error))?;
        let status = response.status();
        if !status.is_success() {
            // Open-Meteo explains a refused request in `{"error": true, "reason": …}`.
            let reason = response.text().await.unwrap_or_default();
            let reason: String = reason.chars().take(300).collect();
            tracing::warn!(%status, reason, what, "weather: the service refused the request");
            return Err(ToolError::failed(format!(
                "the weather service is not available right now (HTTP {}); try again later",
                status.as_u16()
            )));
        }
        response
            .json::<T>()
            .await
            .map_err(|error| http_failure(what, &error))
    }
}

fn checked_url(field: &'static str, url: &str) -> crate::Result<String> {
    let url = url.trim().trim_end_matches('/');
    let has_host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty());
    if !has_host {
        return Err(Error::invalid(
            field,
            format!("{url:?} is not an http(s) URL"),
        ));
    }
    Ok(url.to_owned())
}

fn http_failure(what: &'static str, error: &reqwest::Error) -> ToolError {
    tracing::warn!(error = %error, what, "weather: request failed");
    let sentence = if error.is_timeout() {
        "the weather service did not answer in time; try again later"
    } else if error.is_decode() {
        "the weather service sent an answer I could not read; try again later"
    } else {
        "the weather service could not be reached; try again later"
    };
    ToolError::failed(sentence)
}

#[async_trait]
impl Tool for WeatherTool {
    fn name(&self) -> &str {
        "weather"
    }

    fn description(&self) -> &str {
        "Current weather and a forecast of up to 7 days for a city or town. Use it for questions \
         about the weather, temperature, rain, snow or what to wear."
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "place": {"type": "string", "description": "a city or town, e.g. Berlin"},
                "days": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS}
            },
            "required": ["place"]
        })
    }

    async fn call(&self, _ctx: &ToolContext, arguments: Value) -> Result<String, ToolError> {
        let (place, days) = read_arguments(&arguments)?;
        let search = [
            ("name", place.clone()),
            ("count", "1".to_owned()),
            ("language", "en".to_owned()),
            ("format", "json".to_owned()),
        ];
        let found: Search = self.get(&self.search_url, &search, "geocoding").await?;
        let Some(spot) = found.results.into_iter().next() else {
            return Err(ToolError::failed(format!(
                "I could not find a place called {place}"
            )));
        };
        let forecast_query = [
            ("latitude", spot.latitude.to_string()),
            ("longitude", spot.longitude.to_string()),
            (
                "current",
                "temperature_2m,weather_code,wind_speed_10m".to_owned(),
            ),
            (
                "daily",
                "temperature_2m_max,temperature_2m_min,precipitation_probability_max,weather_code"
                    .to_owned(),
            ),
            ("timezone", "auto".to_owned()),
            ("forecast_days", days.to_string()),
        ];
        let forecast: Forecast = self
            .get(&self.forecast_url, &forecast_query, "forecast")
            .await?;
        if forecast.current.is_none() && forecast.daily.is_none() {
            tracing::warn!("weather: the forecast had neither current nor daily values");
            return Err(ToolError::failed(
                "the weather service sent an answer I could not read; try again later",
            ));
        }
        Ok(describe(&spot, &forecast, usize::from(days)))
    }
}

#[derive(Deserialize)]
struct WeatherArgs {
    #[serde(default)]
    place: Option<String>,
    #[serde(default)]
    days: Option<Value>,
}

fn read_arguments(arguments: &Value) -> Result<(String, u8), ToolError> {
    let args: WeatherArgs = parse_arguments(arguments)?;
    let place = args.place.as_deref().map(str::trim).unwrap_or_default();
    if place.is_empty() {
        return Err(ToolError::invalid("`place` is required: a city or town"));
    }
    if place.chars().count() > MAX_PLACE_LEN {
        return Err(ToolError::invalid("`place` is too long for a place name"));
    }
    // A call recovered from text may carry the number as a string.
    let days = match &args.days {
        None | Some(Value::Null) => Some(u64::from(DEFAULT_DAYS)),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    match days.and_then(|d| u8::try_from(d).ok()) {
        Some(days @ 1..=MAX_DAYS) => Ok((place.to_owned(), days)),
        _ => Err(ToolError::invalid(format!(
            "`days` must be a whole number from 1 to {MAX_DAYS}"
        ))),
    }
}

/// The geocoder's answer; `results` is left out entirely when nothing matched.
#[derive(Deserialize)]
struct Search {
    #[serde(default)]
    results: Vec<Spot>,
}

#[derive(Deserialize)]
struct Spot {
    name: String,
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    admin1: Option<String>,
    #[serde(default)]
    country: Option<String>,
}

#[derive(Deserialize)]
struct Forecast {
    #[serde(default)]
    current: Option<Current>,
    #[serde(default)]
    current_units: HashMap<String, String>,
    #[serde(default)]
    daily: Option<Daily>,
    #[serde(default)]
    daily_units: HashMap<String, String>,
}

#[derive(Deserialize)]
struct Current {
    temperature_2m: Option<f64>,
    weather_code: Option<f64>,
    wind_speed_10m: Option<f64>,
}

/// Open-Meteo sends `null` for a day it has no value for (e.g. precipitation probability beyond
/// its models' range), hence the options.
#[derive(Deserialize)]
struct Daily {
    time: Vec<String>,
    #[serde(default)]
    temperature_2m_max: Vec<Option<f64>>,
    #[serde(default)]
    temperature_2m_min: Vec<Option<f64>>,
    #[serde(default)]
    precipitation_probability_max: Vec<Option<f64>>,
    #[serde(default)]
    weather_code: Vec<Option<f64>>,
}

/// "Berlin, Germany: now 7.3 °C, overcast, wind 12 km/h. Thu 19 Nov: 4.2–9.1 °C, precipitation
/// 60 %, light rain. …"
fn describe(spot: &Spot, forecast: &Forecast, days: usize) -> String {
    let mut text = spot.name.clone();
    let region = spot.admin1.as_deref().filter(|region| *region != spot.name);
    for part in [region, spot.country.as_deref()].into_iter().flatten() {
        if !part.is_empty() {
            let _ = write!(text, ", {part}");
        }
    }
    text.push(':');
    if let Some(now) = &forecast.current {
        let units = &forecast.current_units;
        let mut parts = Vec::new();
        if let Some(t) = now.temperature_2m {
            parts.push(format!(
                "now {}",
                with_unit(t, units, "temperature_2m", "°C")
            ));
        }
        parts.extend(now.weather_code.map(condition));
        if let Some(wind) = now.wind_speed_10m {
            parts.push(format!(
                "wind {}",
                with_unit(wind, units, "wind_speed_10m", "km/h")
            ));
        }
        if !parts.is_empty() {
            let _ = write!(text, " {}.", parts.join(", "));
        }
    }
    if let Some(daily) = &forecast.daily {
        let units = &forecast.daily_units;
        let at = |values: &[Option<f64>], i: usize| values.get(i).copied().flatten();
        for (i, date) in daily.time.iter().take(days).enumerate() {
            let label = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_or_else(|_| date.clone(), |d| d.format("%a %-d %b").to_string());
            let mut parts = Vec::new();
            let low = at(&daily.temperature_2m_min, i);
            let high = at(&daily.temperature_2m_max, i);
            let unit = unit(units, "temperature_2m_max", "°C");
            match (low, high) {
                (Some(low), Some(high)) => {
                    // "-3–-1" reads badly; a minus sign next to a dash is easy to misread.
                    let dash = if low < 0.0 || high < 0.0 {
                        " to "
                    } else {
                        "–"
                    };
                    parts.push(format!("{}{dash}{} {unit}", number(low), number(high)));
                }
                (Some(t), None) | (None, Some(t)) => parts.push(format!("{} {unit}", number(t))),
                (None, None) => {}
            }
            if let Some(p) = at(&daily.precipitation_probability_max, i) {
                let p = with_unit(p, units, "precipitation_probability_max", "%");
                parts.push(format!("precipitation {p}"));
            }
            parts.extend(at(&daily.weather_code, i).map(condition));
            if !parts.is_empty() {
                let _ = write!(text, " {label}: {}.", parts.join(", "));
            }
        }
    }
    text
}

fn unit<'a>(units: &'a HashMap<String, String>, key: &str, fallback: &'a str) -> &'a str {
    units.get(key).map_or(fallback, String::as_str)
}

fn with_unit(value: f64, units: &HashMap<String, String>, key: &str, fallback: &str) -> String {
    format!("{} {}", number(value), unit(units, key, fallback))
}

/// At most one decimal, and no "-0".
fn number(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0 + 0.0;
    rounded.to_string()
}

/// Words for the WMO weather interpretation codes Open-Meteo uses.
fn condition(code: f64) -> String {
    let words = match code as i64 {
        0 => "clear sky",
        1 => "mainly clear",
        2 => "partly cloudy",
        3 => "overcast",
        45 => "fog",
        48 => "rime fog",
        51 => "light drizzle",
        53 => "drizzle",
        55 => "dense drizzle",
        56 | 57 => "freezing drizzle",
        61 => "light rain",
        63 => "rain",
        65 => "heavy rain",
        66 | 67 => "freezing rain",
        71 => "light snow",
        73 => "snow",
        75 => "heavy snow",
        77 => "snow grains",
        80 => "light rain showers",
        81 => "rain showers",
        82 => "violent rain showers",
        85 => "light snow showers",
        86 => "heavy snow showers",
        95 => "thunderstorm",
        96 | 99 => "thunderstorm with hail",
        other => return format!("weather code {other}"),
    };
    words.to_owned()
}
