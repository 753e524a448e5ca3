//! `/amazon`: the seller account from the chat. Owners connect the account and decide who gets
//! what; adults can see the state.
//!
//! ```text
//! /amazon                                   state of the account and the rules
//! /amazon connect <na|eu|fe> <marketplace,…> <refresh token>      (owner)
//! /amazon route <member> <what> [now|hourly|daily HH:MM] [quiet HH:MM-HH:MM] [min N]  (owner)
//!        what: all, orders, shipments, offers, listings, reports, feedback, reviews, or
//!              notification types (ORDER_CHANGE,…), comma-separated
//! /amazon unroute <member>                  removes that member's rules          (owner)
//! ```

use std::sync::Arc;

use async_trait::async_trait;
use fa_core::assistant::{ToolContext, ToolError};
use fa_core::engine::ChatCommand;
use fa_core::scheduler::{NewJob, Trigger};
use fa_core::{DeliveryMode, Member, QuietHours, Role, RouteSpec, Secret};

use crate::account::{SellerAccounts, SellerSettings};
use crate::sp_api::Region;

/// The usage text.
pub const USAGE: &str = "\
/amazon — the seller account
/amazon connect <na|eu|fe> <marketplace ids, comma-separated> <refresh token>
/amazon route <member> <what> [now|hourly|daily HH:MM] [quiet HH:MM-HH:MM] [min N]
   what: all, orders, shipments, offers, listings, reports, feedback, reviews (comma-separated)
/amazon unroute <member>";

/// The `/amazon` command over `accounts`.
pub struct AmazonCommand(pub Arc<SellerAccounts>);

fn kinds(group: &str) -> Result<Vec<String>, String> {
    let named: Vec<&str> = match group.to_ascii_lowercase().as_str() {
        "all" => Vec::new(),
        "orders" => vec!["ORDER_CHANGE"],
        "shipments" => vec!["FBA_OUTBOUND_SHIPMENT_STATUS", "FULFILLMENT_ORDER_STATUS"],
        "offers" => vec!["ANY_OFFER_CHANGED"],
        "listings" => vec!["LISTINGS_ITEM_STATUS_CHANGE", "LISTINGS_ITEM_ISSUES_CHANGE"],
        "reports" => vec!["REPORT_PROCESSING_FINISHED", "FEED_PROCESSING_FINISHED"],
        "feedback" => vec!["SELLER_FEEDBACK"],
        "reviews" => vec!["REVIEW_TOPICS_CHANGED"],
        _ if !group.is_empty() && group.chars().all(|c| c.is_ascii_uppercase() || c == '_') => {
            return Ok(vec![group.to_owned()]);
        }
        other => return Err(format!("\"{other}\" is not something to route; {USAGE}")),
    };
    Ok(named.into_iter().map(str::to_owned).collect())
}

fn minute(text: &str) -> Result<u16, String> {
    let (h, m) = text.split_once(':').unwrap_or((text, "0"));
    match (h.parse::<u16>(), m.parse::<u16>()) {
        (Ok(h), Ok(m)) if h < 24 && m < 60 => Ok(h * 60 + m),
        _ => Err(format!("\"{text}\" is not a time like 18:00")),
    }
}

/// Reads `/amazon route` arguments: the member's name and the rule.
pub fn parse_route(arguments: &str) -> Result<(String, RouteSpec), String> {
    let words: Vec<&str> = arguments.split_whitespace().collect();
    let [member, what, options @ ..] = words.as_slice() else {
        return Err(format!("say whom and what; {USAGE}"));
    };
    let mut all_kinds: Vec<String> = Vec::new();
    for group in what.split(',') {
        let kinds = kinds(group)?;
        if kinds.is_empty() {
            all_kinds.clear();
            break;
        }
        all_kinds.extend(kinds);
    }
    let mut spec = RouteSpec::all().kinds(all_kinds);
    let mut rest = options.iter();
    while let Some(option) = rest.next() {
        match option.to_ascii_lowercase().as_str() {
            "now" => spec = spec.delivery(DeliveryMode::Immediate),
            "hourly" => spec = spec.delivery(DeliveryMode::HourlyDigest),
            "daily" => {
                let at = rest.next().ok_or("daily needs a time, e.g. daily 18:00")?;
                spec = spec.delivery(DeliveryMode::DailyDigest {
                    minute: minute(at)?,
                });
            }
            "quiet" => {
                let range = rest
                    .next()
                    .ok_or("quiet needs hours, e.g. quiet 22:00-07:00")?;
                let (start, end) = range
                    .split_once('-')
                    .ok_or("quiet hours look like 22:00-07:00")?;
                let (start, end) = (minute(start)?, minute(end)?);
                spec = spec.quiet_hours(QuietHours {
                    start_minute: start,
                    end_minute: end,
                });
            }
            "min" => {
                let amount = rest
                    .next()
                    .and_then(|a| a.parse::<f64>().ok())
                    .filter(|a| a.is_finite() && *a >= 0.0)
                    .ok_or("min needs an amount, e.g. min 50")?;
                spec = spec.min_amount(amount);
            }
            other => return Err(format!("\"{other}\" is not an option; {USAGE}")),
        }
    }
    Ok(((*member).to_owned(), spec))
}

/// The account's scheduled checks and their triggers (on the owner's clock).
pub const DEFAULT_JOBS: [(&str, &str); 4] = [
    ("amazon_reconcile_orders", "0,30 * * * *"),
    ("amazon_seller_feedback", "0 7 * * *"),
    ("amazon_review_topics", "0 8 * * 1"),
    ("amazon_sales_digest", "0 20 * * *"),
];

/// Schedules [`DEFAULT_JOBS`] for the context's member, skipping kinds already scheduled;
/// says what it did.
async fn schedule_checks(ctx: &ToolContext) -> String {
    let scope = ctx.scope();
    let existing: Vec<String> = match ctx.scheduler().jobs(scope).await {
        Ok(jobs) => jobs.into_iter().map(|j| j.kind).collect(),
        Err(error) => return format!("(The checks could not be scheduled: {error}.)"),
    };
    let mut added = 0;
    for (kind, cron) in DEFAULT_JOBS {
        if existing.iter().any(|k| k == kind) {
            continue;
        }
        let job = NewJob::new(kind, serde_json::json!({}), Trigger::cron(cron));
        if let Err(error) = ctx.scheduler().schedule(scope, job).await {
            return format!("(The checks could not be scheduled: {error}.)");
        }
        added += 1;
    }
    format!(
        "Scheduled {added} check(s): orders reconciled every 30 minutes, seller feedback daily \
         at 07:00, review topics on Mondays, the day's sales at 20:00."
    )
}

fn describe(spec: &RouteSpec) -> String {
    let what = if spec.kinds.is_empty() {
        "everything".to_owned()
    } else {
        spec.kinds.join(", ")
    };
    let how = match spec.delivery {
        DeliveryMode::HourlyDigest => "hourly digest".to_owned(),
        DeliveryMode::DailyDigest { minute } => {
            format!("daily digest at {:02}:{:02}", minute / 60, minute % 60)
        }
        _ => "as it comes".to_owned(),
    };
    let mut text = format!("{what}, {how}");
    if let Some(q) = spec.quiet_hours {
        text.push_str(&format!(
            ", quiet {:02}:{:02}-{:02}:{:02}",
            q.start_minute / 60,
            q.start_minute % 60,
            q.end_minute / 60,
            q.end_minute % 60
        ));
    }
    if let Some(min) = spec.min_amount {
        text.push_str(&format!(", amounts from {min}"));
    }
    text
}

impl AmazonCommand {
    async fn member_named(&self, asker: &Member, name: &str) -> Result<Member, ToolError> {
        self.0
            .store()
            .members(asker.household_id)
            .await?
            .into_iter()
            .find(|m| m.display_name.eq_ignore_ascii_case(name))
            .ok_or_else(|| ToolError::failed(format!("no member is called \"{name}\"")))
    }

    async fn state(&self, member: &Member) -> Result<String, ToolError> {
        let store = self.0.store();
        let account = self
            .0
            .for_household(member.household_id)
            .await
            .map_err(|e| ToolError::failed(e.to_string()))?;
        let mut text = match &account {
            Some(account) => format!(
                "Seller account \"{}\": {} in {:?}, marketplaces {}.",
                account.integration().label,
                account.integration().status,
                account.settings().region,
                account.settings().marketplaces.join(", ")
            ),
            None => "No seller account is connected.".to_owned(),
        };
        let members = store.members(member.household_id).await?;
        let rules = store.route_rules(member.household_id).await?;
        if rules.is_empty() {
            text.push_str("\nNobody receives Amazon messages yet.");
        }
        for rule in rules {
            let name = members
                .iter()
                .find(|m| m.id == rule.member_id)
                .map_or("?", |m| m.display_name.as_str());
            text.push_str(&format!("\n- {name}: {}", describe(&rule.spec)));
        }
        text.push_str(&format!("\n\n{USAGE}"));
        Ok(text)
    }
}

#[async_trait]
impl ChatCommand for AmazonCommand {
    fn name(&self) -> &str {
        "amazon"
    }

    fn description(&self) -> &str {
        "the Amazon seller account: connect, who gets what"
    }

    async fn run(&self, ctx: &ToolContext, arguments: &str) -> Result<String, ToolError> {
        let member = ctx.member();
        let (sub, rest) = arguments
            .split_once(char::is_whitespace)
            .unwrap_or((arguments, ""));
        let owner_only = |what: &str| {
            if member.role == Role::Owner {
                Ok(())
            } else {
                Err(ToolError::Denied(format!("only the owner can {what}")))
            }
        };
        match sub.to_ascii_lowercase().as_str() {
            "" | "status" | "help" => self.state(member).await,
            "connect" => {
                owner_only("connect the seller account")?;
                let words: Vec<&str> = rest.split_whitespace().collect();
                let [region, marketplaces, token] = words.as_slice() else {
                    return Err(ToolError::invalid(USAGE));
                };
                let region: Region = region
                    .parse()
                    .map_err(|e: crate::Error| ToolError::invalid(e.to_string()))?;
                let settings = SellerSettings::new(region, marketplaces.split(','));
                let account = self
                    .0
                    .connect(
                        member.scope(),
                        "Amazon seller account",
                        settings,
                        Secret::new(*token),
                    )
                    .await
                    .map_err(|e| ToolError::failed(e.to_string()))?;
                let scheduled = schedule_checks(ctx).await;
                Ok(format!(
                    "Connected: {} (marketplaces {}). The refresh token is stored encrypted; delete \
                     your message with it from this chat. {scheduled} Next: /amazon route <member> orders.",
                    account.integration().label,
                    account.settings().marketplaces.join(", ")
                ))
            }
            "route" => {
                owner_only("decide who gets Amazon messages")?;
                let (name, spec) = parse_route(rest).map_err(ToolError::invalid)?;
                let target = self.member_named(member, &name).await?;
                let rule = self.0.store().add_route_rule(target.scope(), spec).await?;
                Ok(format!(
                    "{} now receives {}.",
                    target.display_name,
                    describe(&rule.spec)
                ))
            }
            "unroute" => {
                owner_only("decide who gets Amazon messages")?;
                let target = self.member_named(member, rest.trim()).await?;
                let store = self.0.store();
                let mut removed = 0;
                for rule in store.route_rules(member.household_id).await? {
                    if rule.member_id == target.id
                        && store.delete_route_rule(target.scope(), rule.id).await?
                    {
                        removed += 1;
                    }
                }
                Ok(format!(
                    "Removed {removed} rule(s) of {}.",
                    target.display_name
                ))
            }
            other => Err(ToolError::invalid(format!(
                "/amazon {other}: unknown; {USAGE}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_arguments_read_into_rules() {
        let (who, spec) =
            parse_route("Ben orders,shipments daily 18:30 quiet 22:00-07:00 min 50").unwrap();
        assert_eq!(who, "Ben");
        assert_eq!(
            spec.kinds,
            [
                "ORDER_CHANGE",
                "FBA_OUTBOUND_SHIPMENT_STATUS",
                "FULFILLMENT_ORDER_STATUS"
            ]
        );
        assert_eq!(
            spec.delivery,
            DeliveryMode::DailyDigest {
                minute: 18 * 60 + 30
            }
        );
        assert_eq!(spec.quiet_hours, Some(QuietHours::new((22, 0), (7, 0))));
        assert_eq!(spec.min_amount, Some(50.0));
        let (_, all) = parse_route("Ana all").unwrap();
        assert!(all.kinds.is_empty() && all.delivery == DeliveryMode::Immediate);
        let (_, custom) = parse_route("Ana PRICING_HEALTH hourly").unwrap();
        assert_eq!(custom.kinds, ["PRICING_HEALTH"]);
        for bad in [
            "Ana",
            "Ana pizza",
            "Ana orders daily",
            "Ana orders daily 25:00",
            "Ana orders min -3",
            "Ana orders loud",
        ] {
            assert!(parse_route(bad).is_err(), "{bad}");
        }
    }
}
