//! The command line besides serving: `onair operator add NAME`, `onair operator remove NAME`
//! and `onair operator list`, run against the database the settings name (the running server
//! sees a change at the account's next request).

use super::Settings;
use crate::accounts::store;
use crate::db;

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    Operator(OperatorCommand),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperatorCommand {
    Add(String),
    Remove(String),
    List,
}

pub const USAGE: &str = "usage: onair                        serve (settings: Leptos.toml, ONAIR_* variables)\n       \
     onair operator add NAME      make an existing account an operator\n       \
     onair operator remove NAME   take that back\n       \
     onair operator list          list the operators";

/// Reads the arguments after the program's name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        [] => Ok(Command::Serve),
        ["operator", "add", name] => Ok(Command::Operator(OperatorCommand::Add(name.into()))),
        ["operator", "remove", name] => Ok(Command::Operator(OperatorCommand::Remove(name.into()))),
        ["operator", "list"] => Ok(Command::Operator(OperatorCommand::List)),
        _ => Err(USAGE.into()),
    }
}

/// Runs an operator command; what to print.
pub async fn operator(settings: &Settings, command: OperatorCommand) -> Result<String, String> {
    let opened = db::open(&settings.database.url, &settings.database.path)
        .await
        .map_err(|err| err.to_string())?;
    let db = &opened.db;
    let failed = |err: sqlx::Error| format!("the database: {err}");
    match command {
        OperatorCommand::Add(name) | OperatorCommand::Remove(name) if name.trim().is_empty() => {
            Err(USAGE.into())
        }
        OperatorCommand::Add(name) => match store::set_operator(db, &name, true).await {
            Ok(true) => Ok(format!("{name} is an operator.")),
            Ok(false) => Err(format!(
                "No account is named {name}: it must sign up first, then be made an operator."
            )),
            Err(err) => Err(failed(err)),
        },
        OperatorCommand::Remove(name) => match store::set_operator(db, &name, false).await {
            Ok(true) => Ok(format!("{name} is no longer an operator.")),
            Ok(false) => Err(format!("No account is named {name}.")),
            Err(err) => Err(failed(err)),
        },
        OperatorCommand::List => {
            let names = store::operators(db).await.map_err(failed)?;
            Ok(match names.is_empty() {
                true => "No operators.".into(),
                false => names.join("\n"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_read_or_refused_with_its_usage() {
        let parse = |args: &[&str]| parse(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>());
        assert_eq!(parse(&[]), Ok(Command::Serve));
        assert_eq!(
            parse(&["operator", "add", "olga"]),
            Ok(Command::Operator(OperatorCommand::Add("olga".into())))
        );
        assert_eq!(
            parse(&["operator", "list"]),
            Ok(Command::Operator(OperatorCommand::List))
        );
        assert_eq!(parse(&["operator", "add"]), Err(USAGE.into()));
        assert_eq!(parse(&["--help"]), Err(USAGE.into()));
    }
}
