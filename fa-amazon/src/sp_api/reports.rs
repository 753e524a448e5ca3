//! Reports API 2021-06-30, enough for the seller feedback report
//! (`GET_SELLER_FEEDBACK_DATA`): create, poll, fetch the document, read it.

use std::io::Read as _;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::SpApiClient;
use super::orders::encode;
use crate::{Error, Result};

/// The report type of the seller feedback report.
pub const SELLER_FEEDBACK_REPORT: &str = "GET_SELLER_FEEDBACK_DATA";

/// A report and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Amazon's id for it.
    pub report_id: String,
    /// Its type.
    pub report_type: String,
    /// `IN_QUEUE`, `IN_PROGRESS`, `DONE`, `CANCELLED`, `FATAL`.
    pub processing_status: String,
    /// The document, once `DONE`.
    pub report_document_id: Option<String>,
}

/// Where a report's document can be downloaded (the URL expires after five minutes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportDocument {
    /// Its id.
    pub report_document_id: String,
    /// A pre-signed download URL.
    pub url: String,
    /// `GZIP` when the document is compressed.
    pub compression_algorithm: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    report_id: String,
}

/// One row of the seller feedback report. The rater's e-mail address is deliberately not
/// read: fa keeps no buyer contact data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackEntry {
    /// The date as the marketplace writes it (`M/D/YY` in the US, `D.M.YY` in Germany, …).
    pub date: String,
    /// 1 to 5 stars.
    pub rating: u8,
    /// The buyer's comment.
    pub comments: String,
    /// The seller's response, if any.
    pub response: Option<String>,
    /// The order.
    pub order_id: String,
}

impl FeedbackEntry {
    /// Whether the rating is negative (1 or 2 stars, as Amazon counts it).
    pub fn is_negative(&self) -> bool {
        self.rating <= 2
    }
}

/// Reads a seller feedback report: tab-separated, ISO-8859-1, a header line whose wording
/// depends on the marketplace but whose column order does not (Date, Rating, Comments,
/// Response, Order ID, Rater Email). Rows that do not read are skipped and counted.
pub fn parse_seller_feedback(document: &[u8]) -> (Vec<FeedbackEntry>, usize) {
    // ISO-8859-1 maps each byte to the code point of the same value.
    let text: String = match std::str::from_utf8(document) {
        Ok(text) => text.to_owned(),
        Err(_) => document.iter().map(|b| char::from(*b)).collect(),
    };
    let mut entries = Vec::new();
    let mut skipped = 0;
    for line in text.lines().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let columns: Vec<&str> = line.split('\t').collect();
        let rating = columns.get(1).and_then(|r| r.trim().parse::<u8>().ok());
        match (columns.first(), rating, columns.get(4)) {
            (Some(date), Some(rating @ 1..=5), Some(order_id)) if !order_id.trim().is_empty() => {
                let response = columns.get(3).map(|r| r.trim()).filter(|r| !r.is_empty());
                entries.push(FeedbackEntry {
                    date: date.trim().to_owned(),
                    rating,
                    comments: columns
                        .get(2)
                        .map(|c| c.trim())
                        .unwrap_or_default()
                        .to_owned(),
                    response: response.map(str::to_owned),
                    order_id: order_id.trim().to_owned(),
                });
            }
            _ => skipped += 1,
        }
    }
    (entries, skipped)
}

impl SpApiClient {
    /// Requests a report of `report_type` for `marketplaces` covering data since `since`.
    pub async fn create_report(
        &self,
        report_type: &str,
        marketplaces: &[String],
        since: Option<DateTime<Utc>>,
    ) -> Result<String> {
        let mut body = json!({"reportType": report_type, "marketplaceIds": marketplaces});
        if let Some(since) = since {
            body["dataStartTime"] = json!(since.to_rfc3339_opts(SecondsFormat::Secs, true));
        }
        let created: Created = self
            .call(
                "createReport",
                Method::POST,
                "/reports/2021-06-30/reports",
                |r| r.json(&body),
            )
            .await?;
        Ok(created.report_id)
    }

    /// A report and its status.
    pub async fn get_report(&self, report_id: &str) -> Result<Report> {
        let path = format!("/reports/2021-06-30/reports/{}", encode(report_id));
        self.call("getReport", Method::GET, &path, |r| r).await
    }

    /// Where a report document can be downloaded.
    pub async fn get_report_document(&self, document_id: &str) -> Result<ReportDocument> {
        let path = format!("/reports/2021-06-30/documents/{}", encode(document_id));
        self.call("getReportDocument", Method::GET, &path, |r| r)
            .await
    }

    /// Downloads a report document (unzipping it when compressed).
    pub async fn download_report_document(&self, document: &ReportDocument) -> Result<Vec<u8>> {
        const OP: &str = "report download";
        let response = self
            .inner
            .http
            .get(&document.url)
            .send()
            .await
            .map_err(|e| Error::network(OP, e))?;
        if !response.status().is_success() {
            return Err(Error::Api {
                operation: OP,
                status: response.status().as_u16(),
                code: String::new(),
                message: "the report document could not be downloaded (the URL lasts 5 minutes)"
                    .to_owned(),
            });
        }
        let bytes = response.bytes().await.map_err(|e| Error::network(OP, e))?;
        match document.compression_algorithm.as_deref() {
            Some(algorithm) if algorithm.eq_ignore_ascii_case("GZIP") => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(bytes.as_ref())
                    .read_to_end(&mut out)
                    .map_err(|e| Error::Malformed {
                        operation: OP,
                        reason: format!("not gzip: {e}"),
                    })?;
                Ok(out)
            }
            _ => Ok(bytes.to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feedback_report_reads_by_position_and_skips_bad_rows() {
        let report = "Datum\tBewertung\tKommentare\tIhre Antwort\tBestellnummer\tE-Mail\n\
                      13.1.17\t1\tKaputt angekommen\t\t302-1\tx@marketplace.amazon.de\n\
                      14.1.17\tfive\tbad rating\t\t302-2\tx\n\
                      15.1.17\t4\tGut\tDanke\t302-3\tx\n";
        let (entries, skipped) = parse_seller_feedback(report.as_bytes());
        assert_eq!(skipped, 1);
        assert_eq!(entries.len(), 2);
        assert!(entries[0].is_negative());
        assert_eq!(entries[0].response, None);
        assert_eq!(entries[1].response.as_deref(), Some("Danke"));
        assert!(!entries[1].is_negative());
        // ISO-8859-1 bytes (ä = 0xE4) are read, not refused.
        let latin1 = b"h\n1/1/17\t2\tsp\xE4t\t\t1-2-3\tx\n";
        let (entries, _) = parse_seller_feedback(latin1);
        assert_eq!(entries[0].comments, "spät");
    }
}
