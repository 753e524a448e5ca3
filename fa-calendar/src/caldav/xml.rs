//! Reading CalDAV's XML answers (multistatus) and writing its XML values.

use fa_core::calendar::CalendarError;
use fa_core::connector::ConnectorErrorKind;

use super::DAV;

pub(super) fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(super) fn document(body: &str) -> Result<roxmltree::Document<'_>, CalendarError> {
    roxmltree::Document::parse(body).map_err(|e| {
        CalendarError::new(
            ConnectorErrorKind::Permanent,
            format!("CalDAV: the server's answer is not XML ({e})"),
        )
    })
}

pub(super) fn is(node: &roxmltree::Node<'_, '_>, namespace: &str, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && node.tag_name().namespace() == Some(namespace)
}

pub(super) fn child_text(
    node: &roxmltree::Node<'_, '_>,
    namespace: &str,
    name: &str,
) -> Option<String> {
    node.children()
        .find(|c| is(c, namespace, name))
        .and_then(|c| c.text())
        .map(|t| t.trim().to_owned())
}

/// The first `href` inside the first `namespace:name` element of a multistatus answer.
pub(super) fn first_href(body: &str, namespace: &str, name: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(body).ok()?;
    let holder = doc.descendants().find(|n| is(n, namespace, name))?;
    holder
        .descendants()
        .find(|n| is(n, DAV, "href"))
        .and_then(|n| n.text())
        .map(|t| t.trim().to_owned())
}

/// The texts of every `namespace:name` element.
pub(super) fn texts(body: &str, namespace: &str, name: &str) -> Vec<String> {
    roxmltree::Document::parse(body)
        .map(|doc| {
            doc.descendants()
                .filter(|n| is(n, namespace, name))
                .filter_map(|n| n.text().map(|t| t.trim().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}
