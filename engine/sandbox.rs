//! The Rhai sandbox shared by probe scripts and rules' probe expressions: its limits, the
//! engine built with them, compilation for load-time checks, and expression evaluation.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rhai::{AST, Dynamic, Engine, EvalAltResult, Scope};

use crate::model::probe::ProbeResult;

pub use crate::limits::SandboxLimits;

/// A Rhai engine with the sandbox limits and nothing that reaches outside.
pub(crate) fn sandboxed_engine(limits: &SandboxLimits) -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(limits.max_call_levels);
    engine.set_max_expr_depths(limits.max_expr_depth.0, limits.max_expr_depth.1);
    engine.set_max_string_size(limits.max_string_size);
    engine.set_max_array_size(limits.max_array_size);
    engine.set_max_map_size(limits.max_map_size);
    engine.set_max_modules(limits.max_modules);
    engine.disable_symbol("eval");
    engine.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    engine
}

/// The token of a run [`count_operations`] stopped for its operations.
const TOO_MANY_OPERATIONS: &str = "too many operations";

/// Counts every operation of `engine`'s runs in `spent` (the caller resets it before a run) and
/// stops a run past `max_operations`, or past `deadline` when there is one. Rhai's own count
/// restarts in each closure a native function calls (`list.index_of(|x| ...)`), so closures
/// nested in closures would otherwise run for as long as they like.
pub(crate) fn count_operations(
    engine: &mut Engine,
    max_operations: u64,
    spent: Rc<Cell<u64>>,
    deadline: Option<Instant>,
) {
    engine.on_progress(move |_| {
        let operations = spent.get() + 1;
        spent.set(operations);
        if operations > max_operations {
            Some(Dynamic::from(TOO_MANY_OPERATIONS))
        } else if operations % 256 == 0 && deadline.is_some_and(|d| Instant::now() >= d) {
            Some(Dynamic::from("time budget exhausted"))
        } else {
            None
        }
    });
}

thread_local! {
    /// Operations of the expression being evaluated on this thread.
    static EXPRESSION_OPERATIONS: Rc<Cell<u64>> = Rc::new(Cell::new(0));
    /// The engine that compiles scripts and expressions for load-time checks, built once per
    /// thread (building one registers Rhai's packages, which costs more than a compilation).
    static CHECKING: Engine = sandboxed_engine(&SandboxLimits::default());
    /// The engine that evaluates rules' probe expressions, built once per thread.
    static EXPRESSIONS: Engine = {
        let limits = crate::limits::PROBE_EXPRESSION;
        let mut engine = sandboxed_engine(&limits);
        let spent = EXPRESSION_OPERATIONS.with(Rc::clone);
        count_operations(&mut engine, limits.max_operations, spent, None);
        engine
    };
    /// Rules' probe expressions compiled, by source: each compiles once (when the rule loads,
    /// on the thread that loads it), however many rules and probe runs evaluate it.
    static COMPILED: RefCell<HashMap<String, AST>> = RefCell::new(HashMap::new());
}

/// Compiles a probe script, for load-time checks: `Err((message, line, column))`.
pub fn compile(source: &str) -> Result<(), (String, Option<usize>, Option<usize>)> {
    CHECKING
        .with(|engine| engine.compile(source))
        .map(|_| ())
        .map_err(|e| parse_error(&e))
}

/// `(message, line, column)` of a parse error.
fn parse_error(error: &rhai::ParseError) -> (String, Option<usize>, Option<usize>) {
    (
        error.err_type().to_string(),
        error.position().line(),
        error.position().position(),
    )
}

/// Compiles a rule's `confirms_when` / `refutes_when` expression.
pub fn compile_expression(source: &str) -> Result<(), (String, Option<usize>, Option<usize>)> {
    compiled_expression(source).map(|_| ())
}

/// The compiled form of an expression, from the cache or compiled now (and kept).
fn compiled_expression(source: &str) -> Result<AST, (String, Option<usize>, Option<usize>)> {
    if let Some(ast) = COMPILED.with(|c| c.borrow().get(source).cloned()) {
        return Ok(ast);
    }
    let ast = CHECKING
        .with(|engine| engine.compile_expression(source))
        .map_err(|e| parse_error(&e))?;
    COMPILED.with(|c| c.borrow_mut().insert(source.to_string(), ast.clone()));
    Ok(ast)
}

/// Evaluates a rule expression over a probe result: its facts are variables, as are `status`
/// and `summary`. `Ok(None)` when the expression names a fact this result does not have (the
/// probe stopped before learning it: nothing to conclude); any other error (a type mismatch)
/// is returned, not guessed.
pub fn evaluate(expression: &str, result: &ProbeResult) -> Result<Option<bool>, String> {
    let limits = crate::limits::PROBE_EXPRESSION;
    let mut scope = Scope::new();
    for (name, value) in &result.facts {
        let value = rhai::serde::to_dynamic(value).map_err(|e| e.to_string())?;
        scope.push_dynamic(name.clone(), value);
    }
    scope.push("status", result.status.as_str().to_string());
    scope.push("summary", result.summary.clone());
    let ast = compiled_expression(expression)
        .map_err(|(message, ..)| format!("it does not compile: {message}"))?;
    EXPRESSION_OPERATIONS.with(|spent| spent.set(0));
    match EXPRESSIONS.with(|engine| engine.eval_ast_with_scope::<bool>(&mut scope, &ast)) {
        Ok(value) => Ok(Some(value)),
        Err(error) if matches!(*error, EvalAltResult::ErrorVariableNotFound(..)) => Ok(None),
        Err(error) => Err(describe_error(&error, &limits, Duration::ZERO)),
    }
}

/// A sentence for a script error, naming the limit that stopped it.
pub(crate) fn describe_error(
    error: &EvalAltResult,
    limits: &SandboxLimits,
    budget: Duration,
) -> String {
    // A limit reached in a closure that a native function called stops the whole run.
    if let EvalAltResult::ErrorInFunctionCall(_, _, inner, _) = error
        && matches!(
            **inner,
            EvalAltResult::ErrorTerminated(..)
                | EvalAltResult::ErrorTooManyOperations(..)
                | EvalAltResult::ErrorInFunctionCall(..)
        )
    {
        return describe_error(inner, limits, budget);
    }
    let position = error.position();
    let at = match (position.line(), position.position()) {
        (Some(line), Some(column)) => format!(" (line {line}, column {column})"),
        (Some(line), None) => format!(" (line {line})"),
        _ => String::new(),
    };
    let what = match error {
        EvalAltResult::ErrorTerminated(token, _)
            if token
                .clone()
                .into_string()
                .is_ok_and(|t| t == TOO_MANY_OPERATIONS) =>
        {
            format!("it ran more than {} operations", limits.max_operations)
        }
        EvalAltResult::ErrorTerminated(..) => {
            format!("it ran past its time budget of {} s", budget.as_secs_f64())
        }
        EvalAltResult::ErrorTooManyOperations(..) => {
            format!("it ran more than {} operations", limits.max_operations)
        }
        EvalAltResult::ErrorStackOverflow(..) => {
            format!("calls nested deeper than {} levels", limits.max_call_levels)
        }
        EvalAltResult::ErrorDataTooLarge(what, ..) => format!(
            "{what} grew past the sandbox limit (strings {} bytes, arrays {}, maps {} items)",
            limits.max_string_size, limits.max_array_size, limits.max_map_size
        ),
        EvalAltResult::ErrorFunctionNotFound(signature, ..) => {
            let name = signature.split([' ', '(']).next().unwrap_or(signature);
            format!(
                "`{name}` is not available to probes: they may only call resolve, tcp_connect, rdp_negotiate, tls_certificate, credssp, https_probe, now and Rhai's own functions"
            )
        }
        EvalAltResult::ErrorModuleNotFound(path, ..) => {
            format!("cannot import `{path}`")
        }
        EvalAltResult::ErrorParsing(parse, ..) => format!("it does not compile: {parse}"),
        EvalAltResult::ErrorRuntime(value, ..) => format!("it threw: {value}"),
        other => {
            let text = other.to_string();
            text.split(" (line ").next().unwrap_or(&text).to_string()
        }
    };
    format!("{what}{at}")
}
