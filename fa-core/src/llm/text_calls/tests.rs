#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::json;

use super::*;

const KNOWN: &[&str] = &["set_reminder", "weather", "add_to_list"];

fn scan(content: &str) -> TextToolCalls {
    scan_text_tool_calls(content, KNOWN)
}

/// Asserts one call to `name` with `arguments`, and what text is left.
fn assert_one(content: &str, name: &str, arguments: serde_json::Value, text: &str) {
    let found = scan(content);
    assert_eq!(found.calls.len(), 1, "calls in {content:?}: {found:?}");
    assert_eq!(found.calls[0].id, "text_call_0");
    assert_eq!(found.calls[0].name, name);
    assert_eq!(found.calls[0].arguments, arguments);
    assert!(found.unknown.is_empty(), "{found:?}");
    assert_eq!(found.remaining_text, text);
}

fn assert_untouched(content: &str) {
    let (calls, text) = recover_text_tool_calls(content, KNOWN);
    assert!(calls.is_empty(), "{content:?} gave {calls:?}");
    assert_eq!(text, content);
    assert!(scan(content).unknown.is_empty());
}

#[test]
fn bare_object_with_arguments() {
    let content =
        r#"{"name": "set_reminder", "arguments": {"text": "call grandma", "at": "09:00"}}"#;
    assert_one(
        content,
        "set_reminder",
        json!({"text": "call grandma", "at": "09:00"}),
        "",
    );
}

#[test]
fn bare_object_with_parameters() {
    // Llama 3.2 as in ollama/ollama#13519.
    let content = r#"{"name": "weather", "parameters": {"place": "Berlin"}}"#;
    assert_one(content, "weather", json!({"place": "Berlin"}), "");
}

#[test]
fn openai_function_wrapper_with_and_without_type() {
    let typed =
        r#"{"type": "function", "function": {"name": "weather", "parameters": {"place": "Oslo"}}}"#;
    assert_one(typed, "weather", json!({"place": "Oslo"}), "");
    let untyped = r#"{"function": {"name": "weather", "arguments": {"place": "Oslo"}}}"#;
    assert_one(untyped, "weather", json!({"place": "Oslo"}), "");
}

#[test]
fn flat_object_with_type_function() {
    let content = r#"{"type": "function", "name": "weather", "parameters": {"place": "Rome"}}"#;
    assert_one(content, "weather", json!({"place": "Rome"}), "");
}

#[test]
fn arguments_as_a_json_string() {
    let content = r#"{"name": "weather", "arguments": "{\"place\": \"Paris\", \"days\": 2}"}"#;
    assert_one(content, "weather", json!({"place": "Paris", "days": 2}), "");
}

#[test]
fn arguments_as_a_string_that_is_not_json_are_kept_for_the_model() {
    let content = r#"{"name": "weather", "arguments": "Paris"}"#;
    assert_one(content, "weather", json!("Paris"), "");
}

#[test]
fn json_array_of_calls() {
    let content = r#"[{"name": "weather", "arguments": {"place": "Rome"}}, {"name": "add_to_list", "arguments": {"item": "milk"}}]"#;
    let found = scan(content);
    let names: Vec<_> = found.calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["weather", "add_to_list"]);
    assert_eq!(found.calls[1].id, "text_call_1");
    assert_eq!(found.remaining_text, "");
}

#[test]
fn json_fence() {
    let content = "```json\n{\"name\": \"weather\", \"parameters\": {\"place\": \"Berlin\"}}\n```";
    assert_one(content, "weather", json!({"place": "Berlin"}), "");
}

#[test]
fn plain_fence_after_prose() {
    let content =
        "Let me check.\n```\n{\"name\": \"weather\", \"arguments\": {\"place\": \"Kyiv\"}}\n```\n";
    assert_one(
        content,
        "weather",
        json!({"place": "Kyiv"}),
        "Let me check.",
    );
}

#[test]
fn fence_holding_other_code_is_left_alone() {
    assert_untouched("Example:\n```python\nprint({\"name\": \"weather\", \"arguments\": {}})\n```");
}

#[test]
fn hermes_tool_call_tags_several() {
    let content = "<tool_call>\n{\"name\": \"weather\", \"arguments\": {\"place\": \"Lima\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"set_reminder\", \"arguments\": {\"text\": \"umbrella\"}}\n</tool_call>";
    let found = scan(content);
    assert_eq!(found.calls.len(), 2);
    assert_eq!(found.calls[0].arguments, json!({"place": "Lima"}));
    assert_eq!(found.calls[1].id, "text_call_1");
    assert_eq!(found.calls[1].name, "set_reminder");
    assert_eq!(found.remaining_text, "");
}

#[test]
fn tagged_call_without_arguments_key_counts() {
    let content = "<tool_call>{\"name\": \"weather\"}</tool_call>";
    assert_one(content, "weather", json!({}), "");
}

#[test]
fn function_call_tags() {
    let content = "<function_call>{\"name\": \"weather\", \"arguments\": {\"place\": \"Graz\"}}</function_call>";
    assert_one(content, "weather", json!({"place": "Graz"}), "");
}

#[test]
fn unclosed_tool_call_tag_at_the_end() {
    let content =
        "Checking.\n<tool_call>\n{\"name\": \"weather\", \"arguments\": {\"place\": \"Bonn\"}}";
    assert_one(content, "weather", json!({"place": "Bonn"}), "Checking.");
}

#[test]
fn qwen_xml_parameters_inside_tool_call() {
    let content = "<tool_call>\n<function=weather>\n<parameter=place>\nNew York\n</parameter>\n<parameter=days>\n2\n</parameter>\n</function>\n</tool_call>";
    assert_one(
        content,
        "weather",
        json!({"place": "New York", "days": 2}),
        "",
    );
}

#[test]
fn llama_python_tag_with_end_token() {
    let content =
        "<|python_tag|>{\"name\": \"weather\", \"parameters\": {\"place\": \"Cork\"}}<|eom_id|>";
    assert_one(content, "weather", json!({"place": "Cork"}), "");
}

#[test]
fn llama_python_tag_with_two_calls_separated_by_semicolon() {
    let content = "<|python_tag|>{\"name\": \"weather\", \"parameters\": {\"place\": \"A\"}}; {\"name\": \"weather\", \"parameters\": {\"place\": \"B\"}}";
    let found = scan(content);
    assert_eq!(found.calls.len(), 2);
    assert_eq!(found.calls[1].arguments, json!({"place": "B"}));
    assert_eq!(found.remaining_text, "");
}

#[test]
fn bare_llama_json_followed_by_eot() {
    let content = "{\"name\": \"weather\", \"parameters\": {\"place\": \"Nice\"}}<|eot_id|>";
    assert_one(content, "weather", json!({"place": "Nice"}), "");
}

#[test]
fn mistral_tool_calls_list() {
    let content = "[TOOL_CALLS] [{\"name\": \"weather\", \"arguments\": {\"place\": \"Lyon\"}, \"id\": \"abcdefghi\"}]";
    assert_one(content, "weather", json!({"place": "Lyon"}), "");
    let no_space =
        "[TOOL_CALLS][{\"name\": \"weather\", \"arguments\": \"{\\\"place\\\": \\\"Metz\\\"}\"}]";
    assert_one(no_space, "weather", json!({"place": "Metz"}), "");
}

#[test]
fn mistral_name_args_form() {
    let content = "[TOOL_CALLS]weather[ARGS]{\"place\": \"Brest\"}";
    assert_one(content, "weather", json!({"place": "Brest"}), "");
}

#[test]
fn llama_function_tag() {
    let content = "<function=weather>{\"place\": \"Turin\"}</function>";
    assert_one(content, "weather", json!({"place": "Turin"}), "");
}

#[test]
fn call_after_prose_keeps_the_prose() {
    let content = "Sure! {\"name\": \"set_reminder\", \"arguments\": {\"text\": \"call grandma\"}}";
    assert_one(
        content,
        "set_reminder",
        json!({"text": "call grandma"}),
        "Sure!",
    );
}

#[test]
fn call_between_prose_joins_the_text() {
    let content =
        "Sure! {\"name\": \"weather\", \"arguments\": {\"place\": \"Ulm\"}} I'll tell you.";
    assert_one(
        content,
        "weather",
        json!({"place": "Ulm"}),
        "Sure! I'll tell you.",
    );
}

#[test]
fn two_bare_calls_separated_by_space_or_semicolon() {
    // As in sgomez/ollama-ai-provider#11 and atwmarshall/dead-reckoning#30.
    let content = "{\"name\": \"weather\", \"arguments\": {\"place\": \"A\"}} {\"name\": \"add_to_list\", \"parameters\": {}}; {\"name\": \"weather\", \"parameters\": {\"place\": \"C\"}}";
    let found = scan(content);
    assert_eq!(found.calls.len(), 3);
    assert_eq!(found.calls[2].id, "text_call_2");
    assert_eq!(found.remaining_text, "");
}

#[test]
fn unknown_tool_is_reported_and_removed() {
    let content = "Okay. {\"name\": \"launch_rocket\", \"arguments\": {}} {\"name\": \"weather\", \"arguments\": {\"place\": \"Oslo\"}}";
    let found = scan(content);
    assert_eq!(found.unknown, ["launch_rocket"]);
    assert_eq!(found.calls.len(), 1);
    assert_eq!(found.calls[0].id, "text_call_0");
    assert_eq!(found.remaining_text, "Okay.");
    let (calls, text) = recover_text_tool_calls(content, KNOWN);
    assert_eq!(calls.len(), 1);
    assert_eq!(text, "Okay.");
}

#[test]
fn non_call_json_is_left_alone() {
    assert_untouched(r#"Here is the member: {"name": "Ana", "age": 9}"#);
    assert_untouched(r#"{"name": "Ana"}"#);
    assert_untouched(r#"{"name": "Ana", "arguments": {}, "age": 9}"#);
    assert_untouched(r#"[{"name": "Ana"}, {"name": "Ben"}]"#);
    assert_untouched(r#"{"type": "person", "name": "weather", "parameters": {}}"#);
    assert_untouched(r#"{"name": "Ana Lopez", "parameters": {}}"#);
}

#[test]
fn plain_text_is_unchanged() {
    assert_untouched("");
    assert_untouched("  Your reminder is set for 09:00.  ");
    assert_untouched("Use [brackets] and {braces} < and > freely.");
}

#[test]
fn malformed_json_is_left_alone() {
    assert_untouched(r#"{"name": "weather", "arguments": {"place": "Berlin"}"#);
    assert_untouched(r#"<tool_call>{"name": "weather", "arguments": {place: Berlin}}</tool_call>"#);
    assert_untouched("<|python_tag|>brave_search.call(query=\"x\")<|eom_id|>");
    assert_untouched("[TOOL_CALLS]");
    assert_untouched("<function=weather><parameter=place>Berlin</function>");
}

#[test]
fn text_after_the_scan_limit_is_kept() {
    let tail = "x".repeat(SCAN_LIMIT);
    let content = format!("{{\"name\": \"weather\", \"arguments\": {{}}}} {tail}");
    let found = scan(&content);
    assert_eq!(found.calls.len(), 1);
    assert_eq!(found.remaining_text, tail);
    let late = format!("{tail}{{\"name\": \"weather\", \"arguments\": {{}}}}");
    assert_untouched(&late);
}

#[test]
fn many_brackets_finish_quickly() {
    let started = std::time::Instant::now();
    for piece in [
        "{\"",
        "[{",
        "{\"a\":[",
        "<tool_call>[1,",
        "```",
        "<function=",
        "[TOOL_CALLS]x",
    ] {
        let content = piece.repeat(200_000 / piece.len());
        let (calls, _) = recover_text_tool_calls(&content, KNOWN);
        assert!(calls.is_empty());
    }
    let nested = format!("{}{}", "{\"a\":".repeat(5_000), "1");
    assert!(recover_text_tool_calls(&nested, KNOWN).0.is_empty());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

proptest! {
    #[test]
    fn never_panics(content in any::<String>()) {
        let found = scan_text_tool_calls(&content, KNOWN);
        prop_assert!(found.calls.iter().all(|c| KNOWN.contains(&c.name.as_str())));
    }

    #[test]
    fn never_panics_on_call_like_noise(content in r#"([{}\[\]",:; \n]|name|arguments|weather|<tool_call>|</tool_call>|<\|python_tag\|>|\[TOOL_CALLS\]|<function=|```|<parameter=x>|</parameter>|</function>)*"#) {
        let _ = scan_text_tool_calls(&content, KNOWN);
    }

    // The Qwen XML form is the one shape without brackets; random text never spells it.
    #[test]
    fn text_without_brackets_is_unchanged(content in r"[^{\[]*") {
        prop_assume!(!content.contains("<function="));
        let (calls, text) = recover_text_tool_calls(&content, KNOWN);
        prop_assert!(calls.is_empty());
        prop_assert_eq!(text, content);
    }
}
