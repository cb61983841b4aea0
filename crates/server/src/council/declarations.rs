//! Every table and column of the database, declared: which columns hold data about a person,
//! why the table exists, who can see it and how long it is kept. The works-council pack is
//! written from these declarations, and [`undeclared`] compares them with the real schema: a
//! column added by a migration and not declared here is reported (and fails the tests) until
//! someone says what it holds.

use std::collections::{BTreeMap, BTreeSet};

use chorus_policy::retention::DataKind;
use sea_orm::{ConnectionTrait as _, DatabaseConnection, DbBackend, DbErr, Statement};

/// How long a table's rows about people are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// The admin's retention period for this kind.
    Retention(DataKind),
    /// Until the person erases their account (or an admin does).
    UntilErased,
    /// Until the person disconnects the account, or erases theirs.
    UntilDisconnected,
    /// Until sign-out or the session's expiry (at most 14 days).
    Session,
    /// Until the connection it belongs to finishes, or 10 minutes at most.
    Minutes,
    /// The person's name goes at erasure; the content stays, without its author.
    AuthorshipUntilErased,
}

impl Kept {
    /// The name of its sentence in the catalogues (`council.kept_{name}`).
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Kept::Retention(_) => "retention",
            Kept::UntilErased => "until_erased",
            Kept::UntilDisconnected => "until_disconnected",
            Kept::Session => "session",
            Kept::Minutes => "minutes",
            Kept::AuthorshipUntilErased => "authorship",
        }
    }
}

/// One table as declared.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// Its name in the database.
    pub name: &'static str,
    /// The columns holding data about a person (directly, or by an id that leads to one).
    pub personal: &'static [&'static str],
    /// The other columns.
    pub other: &'static [&'static str],
    /// How long what it holds about people is kept (`None`: it holds nothing about people).
    pub kept: Option<Kept>,
}

impl Table {
    /// Whether it holds data about people.
    #[must_use]
    pub fn about_people(&self) -> bool {
        !self.personal.is_empty()
    }
}

const fn table(
    name: &'static str,
    personal: &'static [&'static str],
    other: &'static [&'static str],
    kept: Option<Kept>,
) -> Table {
    Table {
        name,
        personal,
        other,
        kept,
    }
}

mod tables;

pub use tables::TABLES;

/// The tables and columns of the live database.
///
/// # Errors
/// Database failure.
pub async fn schema(db: &DatabaseConnection) -> Result<BTreeMap<String, BTreeSet<String>>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name AS t, column_name AS c FROM information_schema.columns \
             WHERE table_schema = current_schema()"
        }
        _ => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
    };
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, sql.to_owned()))
        .await?
    {
        let table: String = row.try_get("", "t")?;
        let column: String = row.try_get("", "c")?;
        out.entry(table).or_default().insert(column);
    }
    Ok(out)
}

/// What the declarations and the live schema disagree on, one line each (`table.column is
/// not declared`, `table.column is declared but not in the database`); empty when they agree.
///
/// # Errors
/// Database failure.
pub async fn undeclared(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let live = schema(db).await?;
    let mut problems = Vec::new();
    for (table, columns) in &live {
        let Some(declared) = TABLES.iter().find(|t| t.name == table) else {
            problems.push(format!("table {table} is not declared"));
            continue;
        };
        for column in columns {
            if !declared.personal.contains(&column.as_str())
                && !declared.other.contains(&column.as_str())
            {
                problems.push(format!("{table}.{column} is not declared"));
            }
        }
    }
    for declared in TABLES {
        let columns = live.get(declared.name);
        for column in declared.personal.iter().chain(declared.other) {
            if columns.is_none_or(|c| !c.contains(*column)) {
                problems.push(format!(
                    "{}.{column} is declared but not in the database",
                    declared.name
                ));
            }
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_about_people_says_how_long_and_no_column_is_declared_twice() {
        for table in TABLES {
            assert_eq!(
                table.about_people(),
                table.kept.is_some(),
                "{}: a table about people says how long it keeps them, and only then",
                table.name
            );
            let mut seen = BTreeSet::new();
            for column in table.personal.iter().chain(table.other) {
                assert!(seen.insert(column), "{}.{column} twice", table.name);
            }
        }
    }
}
