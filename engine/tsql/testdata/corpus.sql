-- === T-SQL corpus for engine/tsql (TestCorpusAgainstSQLGlot).
-- === One statement per block; blocks are separated by blank lines.
-- === "-- expect: mvapi" mvapi is right where sqlglot differs (T-SQL semantics are the truth),
-- === "-- expect: sqlglot" sqlglot is right, "-- expect: refused HINT" mvapi refuses with HINT.
-- === Keywords ([USERID]=1, [USERNAME]=alice, [SPARAM1]=alice, [SPARAM2]=2, [SPARAM3]=4930, {email}, {days}=2) are bound by mvapi.

-- === The reference's own examples
-- expect: mvapi
-- note: sqlglot keeps WITH(NOLOCK)
select top 1 callednumber from tb_cdrs with(nolock) where callerid = [USERID]

-- expect: mvapi
-- note: sqlglot keeps WITH(NOLOCK), DB SQL example of the reference
select id from tb_users with(nolock) where username = 'alice' and password = 'pw' and type = 0

select credit, postpaid from tb_users where id = 1

-- expect: mvapi
-- note: getdate() - 0.1 is 2.4 hours ago; sqlglot writes CURRENT_TIMESTAMP() - 0.1
-- want: 1
select top 1 id from tb_users where username = 'alice' and status > 0 and statusdate > getdate() - 0.1 and Enabled <> 0

-- expect: mvapi
-- note: the reference prints an en dash; sqlglot fails on it
SELECT TOP 1 * FROM tb_cdrs WITH(NOLOCK) WHERE datum > getdate() – 1 AND sipcallid = 'xyz'

-- expect: mvapi
select top 1 id from tb_users where username = [SPARAM1] and status > 0 and statusdate > getdate() - 0.1 and Enabled <> 0

-- expect: mvapi
-- note: 'Hello ' + [USERNAME] is concatenation; sqlglot keeps + (0 on SQLite)
-- want: Hello alice
select 'Hello ' + [USERNAME]

-- === TOP
SELECT TOP 1 username FROM tb_users ORDER BY id

SELECT TOP 2 username FROM tb_users ORDER BY id DESC

SELECT TOP (3) username FROM tb_users ORDER BY username

SELECT TOP 10 * FROM tb_rates ORDER BY prefix

select top 1 prefix from tb_rates order by price desc

select top 5 callednumber, duration from tb_cdrs order by duration desc

select distinct top 2 callerid from tb_cdrs order by callerid

-- expect: mvapi
-- note: sqlglot 10 drops the TOP inside IN (...)
select username from tb_users where id in (select top 2 callerid from tb_cdrs order by duration desc)

-- expect: mvapi
select count(*) from (select top 3 id from tb_cdrs order by id) as t

-- expect: mvapi
select username, (select top 1 callednumber from tb_cdrs c where c.callerid = u.id order by c.datum desc) as lastcall from tb_users u order by u.id

-- expect: mvapi
select top 1 destination from tb_rates where '493012345' like prefix + '%' order by len(prefix) desc

-- expect: mvapi
select top 1 price from tb_rates where [SPARAM3] like prefix + '%' order by len(prefix) desc

-- expect: mvapi
select top (1) destination from tb_rates where {callednumber} like prefix + '%' order by len(prefix) desc

SELECT TOP 1 username FROM tb_users WHERE credit > 0 ORDER BY credit DESC

SELECT TOP 3 id, amount FROM tb_creditlog WHERE userid = [USERID] ORDER BY id DESC

SELECT TOP 1 amount FROM tb_creditlog ORDER BY amount

-- expect: mvapi
-- note: TOP from a keyword: sqlglot sees a string
SELECT TOP ([SPARAM2]) username FROM tb_users ORDER BY id

-- expect: refused PERCENT
SELECT TOP 50 PERCENT username FROM tb_users ORDER BY id

-- expect: refused TIES
SELECT TOP 1 WITH TIES username FROM tb_users ORDER BY status

-- expect: refused UNION
SELECT TOP 1 username FROM tb_users UNION SELECT caller FROM tb_cdrs

-- expect: refused WHERE id IN
DELETE TOP (1) FROM tb_cdrs WHERE callerid = 1

-- expect: refused WHERE id IN
UPDATE TOP (2) tb_users SET status = 0

-- === Table hints
SELECT count(*) FROM tb_cdrs

-- expect: mvapi
SELECT count(*) FROM tb_cdrs WITH (NOLOCK)

-- expect: mvapi
SELECT count(*) FROM tb_cdrs (NOLOCK)

-- expect: mvapi
SELECT count(*) FROM tb_cdrs WITH(READPAST)

-- expect: mvapi
SELECT count(*) FROM tb_users u WITH (NOLOCK) WHERE u.enabled = 1

-- expect: mvapi
SELECT u.username, c.duration FROM tb_users u WITH (NOLOCK) JOIN tb_cdrs c WITH (NOLOCK) ON c.callerid = u.id WHERE c.duration > 100 ORDER BY c.id

-- expect: mvapi
SELECT count(*) FROM tb_creditlog WITH (ROWLOCK, UPDLOCK) WHERE userid = 1

-- expect: mvapi
SELECT count(*) FROM tb_rates WITH (NOLOCK, READUNCOMMITTED)

-- expect: mvapi
select sum(duration) from tb_cdrs with(nolock) where callerid = [USERID]

-- expect: mvapi
select username from tb_users (nolock) where id = [USERID]

-- === Dates: now and day arithmetic
-- expect: mvapi
-- want: 4
select count(*) from tb_cdrs where datum > getdate() - 1

-- expect: mvapi
-- want: 7
select count(*) from tb_cdrs where datum > getdate() - 2

-- expect: mvapi
-- want: 2
select count(*) from tb_cdrs where datum >= getdate() - 0.5

-- expect: mvapi
-- want: 6
select count(*) from tb_cdrs where datum < getdate() - 1.5

-- expect: mvapi
-- want: 2
select count(*) from tb_users where statusdate > getdate() - 0.1

-- expect: mvapi
-- want: 3
select count(*) from tb_users where statusdate > getutcdate() - 1

-- expect: mvapi
select count(*) from tb_users where statusdate > sysdatetime() - 1

-- expect: mvapi
select count(*) from tb_users where statusdate > CURRENT_TIMESTAMP - 1

-- expect: mvapi
select count(*) from tb_creditlog where datum between getdate() - 2 and getdate()

-- expect: mvapi
-- want: 4
select count(*) from tb_creditlog where datum > getdate() - [SPARAM2]

-- expect: mvapi
-- want: 4
select count(*) from tb_creditlog where datum > getdate() - {days}

-- expect: mvapi
-- want: 6
select count(*) from tb_cdrs where datum > getdate() - 1 - 0.5

-- expect: mvapi
-- want: 4
select count(*) from tb_cdrs where datum > getdate() + -1

-- expect: mvapi
-- want: 1
select count(*) from tb_cdrs where datum > getdate() - 1.0 / 24

-- expect: mvapi
-- want: 7
select count(*) from tb_cdrs where datum > getdate() - (1 + 1)

-- expect: mvapi
-- want: 4
select count(*) from tb_cdrs where datum > 0 + getdate() - 1

-- expect: mvapi
-- want: 4
select count(*) from tb_cdrs where datum > (getdate() - 1)

-- expect: mvapi
-- want: 12
select count(*) from tb_cdrs where datum < getdate() + 1

-- expect: mvapi
-- note: a known datetime column in tsql mode: datum + 1 is a day later
-- want: 4
select count(*) from tb_cdrs where datum + 1 > getdate()

-- expect: mvapi
-- want: 2
select count(*) from tb_users where statusdate - 1 < getdate() - 2

-- expect: mvapi
-- want: 3
select count(*) from tb_users where created > getdate() - 7 and enabled = 1

-- expect: mvapi
-- want: 3
select count(*) from tb_users where isnull(statusdate, getdate() - 100) > getdate() - 1

-- expect: refused DATEDIFF
select getdate() - datum from tb_cdrs

-- expect: refused DATEADD
select cast(getdate() as date) - 1

-- expect: mvapi
select case when getdate() > getdate() - 1 then 'yes' else 'no' end

-- === DATEADD
-- expect: mvapi
select count(*) from tb_cdrs where datum > dateadd(day, -1, getdate())

-- expect: mvapi
-- want: 2
select count(*) from tb_cdrs where datum > dateadd(hour, -12, getdate())

-- expect: mvapi
-- want: 1
select count(*) from tb_cdrs where datum > dateadd(minute, -90, getdate())

-- expect: mvapi
select count(*) from tb_cdrs where datum > dateadd(second, -3600, getdate())

-- expect: mvapi
-- want: 12
select count(*) from tb_cdrs where datum > dateadd(week, -1, getdate())

-- expect: mvapi
select count(*) from tb_cdrs where datum > dateadd(month, -1, getdate())

-- expect: mvapi
select count(*) from tb_users where created > dateadd(year, -1, getdate())

-- expect: mvapi
select count(*) from tb_cdrs where datum > dateadd(dd, -2, getdate())

-- expect: mvapi
select count(*) from tb_cdrs where datum > dateadd(hh, -6, getdate())

-- expect: mvapi
select count(*) from tb_cdrs where datum > dateadd(mi, -30, getdate())

-- expect: mvapi
-- want: 7
select count(*) from tb_cdrs where datum > dateadd(d, -[SPARAM2], getdate())

-- expect: mvapi
select count(*) from tb_cdrs where datum > dateadd(day, -{days}, getdate())

-- expect: mvapi
-- want: 2024-02-01 00:00
select dateadd(day, 1, '2024-01-31')

-- expect: mvapi
-- note: T-SQL clamps to the end of the month: 2024-02-29
-- want: 2024-02-29 00:00
select dateadd(month, 1, '2024-01-31')

-- expect: mvapi
-- want: 2023-02-28 10:30
select dateadd(month, 1, '2023-01-31 10:30:00')

-- expect: mvapi
-- want: 2025-02-28 00:00
select dateadd(year, 1, '2024-02-29')

-- expect: mvapi
-- want: 2024-04-15 00:00
select dateadd(quarter, 1, '2024-01-15')

-- expect: mvapi
-- want: 2024-03-02 01:00
select dateadd(hour, 25, '2024-03-01 00:00:00')

-- expect: mvapi
-- want: 2024-03-02 00:30
select dateadd(minute, 90, '2024-03-01 23:00:00')

-- expect: mvapi
-- want: 2024-03-02 00:00
select dateadd(second, 61, '2024-03-01 23:59:00')

-- expect: mvapi
-- want: 2025-01-08 00:00
select dateadd(week, 2, '2024-12-25')

-- expect: mvapi
-- note: DATEADD truncates 1.9 to 1
-- want: 2024-01-02 00:00
select dateadd(day, 1.9, '2024-01-01')

-- expect: mvapi
-- want: 2024-02-29 00:00
select dateadd(day, -1, dateadd(month, 1, '2024-02-01'))

-- expect: mvapi
select count(*) from tb_creditlog where datum >= dateadd(day, -1, getdate()) and userid = [USERID]

-- === DATEDIFF
-- expect: mvapi
-- want: 60
select datediff(day, '2024-01-01', '2024-03-01')

-- expect: mvapi
-- note: boundaries crossed: 23:59 to 00:01 is one day
-- want: 1
select datediff(day, '2024-01-01 23:59:00', '2024-01-02 00:01:00')

-- expect: mvapi
-- want: 1
select datediff(hour, '2024-01-01 10:59:00', '2024-01-01 11:01:00')

-- expect: mvapi
-- want: 1
select datediff(minute, '2024-01-01 10:00:59', '2024-01-01 10:01:00')

-- expect: mvapi
-- want: 90
select datediff(second, '2024-01-01 10:00:00', '2024-01-01 10:01:30')

-- expect: mvapi
-- want: 1
select datediff(month, '2024-01-31', '2024-02-01')

-- expect: mvapi
-- want: 1
select datediff(year, '2023-12-31', '2024-01-01')

-- expect: mvapi
-- want: 1
select datediff(quarter, '2024-03-31', '2024-04-01')

-- expect: mvapi
-- note: weeks start on Sunday: Sat 2024-01-06 to Sun 2024-01-07 is one week
-- want: 1
select datediff(week, '2024-01-06', '2024-01-07')

-- expect: mvapi
-- want: -60
select datediff(day, '2024-03-01', '2024-01-01')

-- expect: mvapi
select count(*) from tb_cdrs where datediff(day, datum, getdate()) <= 1

-- expect: mvapi
-- want: 4
select count(*) from tb_cdrs where datediff(hour, datum, getdate()) < 24

-- expect: mvapi
-- want: 2
select count(*) from tb_users where datediff(minute, statusdate, getdate()) < 120

-- expect: mvapi
select username from tb_users where datediff(day, created, getdate()) > 20 order by id

-- === DATEPART, YEAR, MONTH, DAY
-- expect: mvapi
-- want: 2024
select datepart(year, '2024-05-17 13:45:30')

-- expect: mvapi
-- want: 5
select datepart(month, '2024-05-17 13:45:30')

-- expect: mvapi
-- want: 17
select datepart(day, '2024-05-17 13:45:30')

-- expect: mvapi
-- want: 13
select datepart(hour, '2024-05-17 13:45:30')

-- expect: mvapi
-- want: 45
select datepart(minute, '2024-05-17 13:45:30')

-- expect: mvapi
-- want: 30
select datepart(second, '2024-05-17 13:45:30')

-- expect: mvapi
-- want: 2
select datepart(quarter, '2024-05-17')

-- expect: mvapi
-- want: 32
select datepart(dayofyear, '2024-02-01')

-- expect: mvapi
-- note: DATEFIRST 7: Friday is 6
-- want: 6
select datepart(weekday, '2024-05-17')

-- expect: mvapi
-- want: 2
select datepart(week, '2024-01-07')

-- expect: mvapi
-- want: 1
select datepart(dw, '2024-05-19')

-- expect: mvapi
-- want: 2024|5|17
select year('2024-05-17'), month('2024-05-17'), day('2024-05-17')

-- expect: mvapi
select count(*) from tb_cdrs where year(datum) = year(getdate()) - 5

-- expect: mvapi
select count(*) from tb_cdrs where year(datum) >= 2020 and month(datum) between 1 and 12

-- expect: mvapi
select count(*) from tb_cdrs where day(datum) > 0

-- expect: mvapi
select count(*) from tb_cdrs where datepart(hh, datum) between 0 and 23

-- === ISNULL, COALESCE, NULLIF, IIF
-- expect: mvapi
select isnull(pin, 'none') from tb_users order by id

-- expect: mvapi
-- want: 5
select isnull(null, 5)

-- expect: mvapi
select isnull(sum(amount), 0) from tb_creditlog where userid = 99

-- expect: mvapi
select username, isnull(nullif(email, ''), 'no email') from tb_users order by id

select coalesce(nullif(pin, ''), 'empty') from tb_users order by id

-- expect: mvapi
select iif(credit > 0, 'positive', 'not positive') from tb_users order by id

-- expect: mvapi
select iif(enabled = 1, 1, 0) from tb_users order by id

-- expect: mvapi
select sum(iif(duration > 100, 1, 0)) from tb_cdrs

-- === LEN and the string functions
-- expect: mvapi
-- note: LEN ignores trailing blanks
-- want: 3
select len('abc  ')

-- expect: mvapi
select len(email) from tb_users order by id

-- expect: mvapi
-- want: 0
select len('')

-- expect: mvapi
-- want: 
select len(null)

-- expect: mvapi
-- want: 5
select len(12345)

-- expect: mvapi
select username from tb_users where len(username) > 4 order by id

-- expect: mvapi
-- want: abc
select left('abcdef', 3)

-- expect: mvapi
select left(username, 2) from tb_users order by id

-- expect: mvapi
-- want: ef
select right('abcdef', 2)

-- expect: mvapi
select right(username, 3) from tb_users order by id

-- expect: mvapi
-- want: 
select right('abc', 0)

-- expect: mvapi
-- want: abc
select right('abc', 10)

-- want: bcd
select substring('abcdef', 2, 3)

select substring(username, 1, 1) from tb_users order by id

-- expect: mvapi
-- note: T-SQL counts positions before the first character
-- want: ab
select substring('abcdef', 0, 3)

-- expect: mvapi
-- want: ab
select substring('abcdef', -1, 4)

-- expect: mvapi
-- want: 3
select charindex('c', 'abcdef')

-- expect: mvapi
-- want: 0
select charindex('z', 'abcdef')

-- expect: mvapi
select charindex('@', email) from tb_users order by id

-- expect: mvapi
-- want: 5
select charindex('b', 'abcabc', 3)

-- expect: mvapi
select left(email, charindex('@', email) - 1) from tb_users where charindex('@', email) > 0 order by id

-- expect: mvapi
-- note: T-SQL finds no empty string; instr and strpos answer 1
-- want: 0
select charindex('', 'abcdef')

-- expect: mvapi
-- want: 0
select charindex('', 'abcdef', 3)

-- expect: mvapi
-- note: a space is a character to find (only = and LEN ignore trailing spaces)
-- want: 2
select charindex(' ', 'a b')

-- expect: mvapi
-- want: 0
select charindex('b', 'abc', 9)

-- expect: mvapi
-- note: NULL in, NULL out (it answered 0 with a start)
-- want: -1|-1
select coalesce(charindex('b', NULL, 2), -1), coalesce(charindex(NULL, 'abc'), -1)

-- expect: mvapi
-- want: 1
select count(*) from tb_users where charindex([SPARAM1], username) = 1 and username = 'alice'

select replace('a-b-c', '-', '+')

select replace(phone, '+', '00') from tb_users order by id

select upper(username), lower(country) from tb_users order by id

select ltrim('  abc'), rtrim('abc  ')

-- expect: mvapi
-- want: 3
select len(rtrim(ltrim('  a b  ')))

-- expect: mvapi
select upper(left(username, 1)) + lower(substring(username, 2, 100)) from tb_users order by id

-- === N'...' and bracket identifiers
-- expect: mvapi
-- want: unicode
select N'unicode'

-- expect: mvapi
select count(*) from tb_users where username = N'alice'

select [username] from [tb_users] where [id] = 1

-- expect: mvapi
select [Username] from [TB_USERS] where [Id] = [USERID]

select u.[name], u.[credit] from [tb_users] as u where u.[id] = 2

-- expect: mvapi
select [username] as [User Name] from tb_users where id = [USERID]

-- === Concatenation
-- expect: mvapi
-- want: ab
select 'a' + 'b'

-- expect: mvapi
select 'Hello, ' + username + '!' from tb_users order by id

-- expect: mvapi
select username + ' <' + email + '>' from tb_users order by id

-- expect: mvapi
select count(*) from tb_users where email like '%' + [SPARAM1] + '%'

-- expect: mvapi
select count(*) from tb_users where username like [SPARAM1] + '%'

-- expect: mvapi
select 'user ' + [USERNAME] + ' has ' + cast(credit as varchar(20)) from tb_users where id = [USERID]

-- expect: mvapi
select 'id: ' + convert(varchar(10), id) from tb_users order by id

-- expect: mvapi
-- want: 
select 'x' + null

-- expect: mvapi
select country + '-' + upper(left(username, 3)) from tb_users order by id

-- want: 3
select 1 + 2

select credit + 1 from tb_users order by id

select duration + 10 from tb_cdrs order by id

-- expect: mvapi
-- want: 2
select '1' + 1

-- expect: refused CONCAT
select 'Total: ' + sum(duration) from tb_cdrs

-- === CONVERT and CAST
-- expect: mvapi
-- want: 2024-05-17 13:45
select convert(varchar(19), '2024-05-17 13:45:30', 120)

-- expect: mvapi
-- want: 2024-05-17
select convert(varchar(10), '2024-05-17 13:45:30', 23)

-- expect: mvapi
-- want: 13:45:30
select convert(varchar(8), '2024-05-17 13:45:30', 108)

-- expect: mvapi
-- want: 20240517
select convert(varchar(8), '2024-05-17 13:45:30', 112)

-- expect: mvapi
-- want: 17/05/2024
select convert(varchar(10), '2024-05-17 13:45:30', 103)

-- expect: mvapi
-- want: 17.05.2024
select convert(varchar(10), '2024-05-17 13:45:30', 104)

-- expect: mvapi
-- want: 05/17/2024
select convert(varchar(10), '2024-05-17 13:45:30', 101)

-- expect: mvapi
-- want: 2024/05/17
select convert(varchar(10), '2024-05-17 13:45:30', 111)

-- expect: mvapi
select convert(varchar(23), '2024-05-17 13:45:30.250', 121)

-- expect: mvapi
-- want: 2024-05
select convert(varchar(7), '2024-05-17', 120)

-- expect: mvapi
select convert(varchar(10), getdate(), 120) = convert(varchar(10), getdate(), 23)

-- expect: mvapi
select count(*) from tb_cdrs where convert(varchar(10), datum, 120) >= convert(varchar(10), getdate() - 30, 120)

-- expect: mvapi
-- want: 42
select convert(int, '42')

-- expect: mvapi
-- want: 4
select convert(int, 4.7)

-- expect: mvapi
-- want: abcde
select convert(varchar(5), 'abcdefgh')

-- expect: mvapi
-- want: abc
select convert(nvarchar(max), 'abc')

-- expect: mvapi
-- want: 1.5
select convert(float, '1.5')

-- expect: mvapi
select convert(datetime, '2024-05-17 13:45:30')

-- expect: mvapi
select convert(datetime, '2024-05-17 13:45:30', 120)

-- expect: mvapi
-- want: 2024-05-17
-- want.postgres: 2024-05-17 00:00
-- note: a PostgreSQL date scans as a time.Time, which engine.SQLText prints with 00:00:00
select convert(date, '2024-05-17 13:45:30')

-- expect: refused style
select convert(varchar(30), getdate(), 9)

-- expect: refused style
select convert(varchar(30), getdate())

-- expect: mvapi
-- want: 42
select cast('42' as int)

-- expect: mvapi
-- note: T-SQL truncates 1.9 to 1; PostgreSQL's CAST rounds
-- want: 1
select cast(1.9 as int)

-- expect: mvapi
-- want: -1
select cast(-1.9 as int)

-- expect: mvapi
select cast(credit as bigint) from tb_users order by id

-- expect: mvapi
-- want: 3.25
select cast('3.25' as float)

-- expect: mvapi
select cast(credit as decimal(10,2)) from tb_users order by id

-- expect: mvapi
-- want: 3
select cast(2.5 as decimal(10,0))

-- expect: mvapi
select cast(credit as money) from tb_users order by id

-- expect: mvapi
-- want: 12.3457
select cast(12.345678 as money)

-- expect: mvapi
-- want: 1|0
select cast(5 as bit), cast(0 as bit)

-- expect: mvapi
-- want: 
select cast(null as bit)

-- expect: mvapi
select cast(id as varchar(10)) from tb_users order by id

-- expect: mvapi
-- want: abcdefghijklmnopqrstuvwxyz0123
select cast('abcdefghijklmnopqrstuvwxyz0123456789' as varchar)

-- expect: mvapi
select cast(username as nvarchar(3)) from tb_users order by id

-- expect: mvapi
select cast('2024-05-17 13:45:30' as datetime)

-- expect: mvapi
-- want: 2024-05-17
-- want.postgres: 2024-05-17 00:00
-- note: a PostgreSQL date scans as a time.Time, which engine.SQLText prints with 00:00:00
select cast('2024-05-17 13:45:30' as date)

-- expect: mvapi
select count(*) from tb_cdrs where cast(datum as date) = cast(getdate() as date)

-- expect: mvapi
select count(*) from tb_cdrs where datum > cast('2000-01-01' as datetime)

-- expect: mvapi
select count(*) from tb_cdrs where datum > cast('2000-01-01' as datetime) + 1

-- expect: refused varchar
select cast(1 as char(5))

-- expect: refused 1900
select cast(1 as datetime)

-- === Comparison operators
select count(*) from tb_users where enabled <> 0

select count(*) from tb_users where enabled != 0

-- expect: mvapi
select count(*) from tb_users where credit !< 0

-- expect: mvapi
select count(*) from tb_users where credit !> 0

-- === SCOPE_IDENTITY / @@IDENTITY
-- expect: mvapi
-- note: sqlglot keeps SCOPE_IDENTITY()
insert into tb_rates (prefix, destination, price) values ('999', 'Test', 0.5); select count(*) from tb_rates where id = scope_identity()

-- expect: mvapi
insert into tb_rates (prefix, destination, price) values ('998', 'Test', 0.5); select count(*) from tb_rates where id = @@identity

-- expect: mvapi
insert into tb_creditlog (datum, userid, amount, kind) values (getdate(), [USERID], 1, 'api'); select count(*) from tb_creditlog where id = scope_identity() and datum > getdate() - 0.01

-- === Writes (rolled back after each case)
-- expect: mvapi
update tb_users set statusdate = getdate() where id = [USERID]; select count(*) from tb_users where statusdate > getdate() - 0.001

-- expect: mvapi
update tb_users set credit = credit + 1 where username = [USERNAME]; select credit from tb_users where id = [USERID]

-- expect: mvapi
insert into tb_cdrs (datum, callerid, caller, callednumber, duration) values (getdate(), [USERID], [USERNAME], '4930', 10); select count(*) from tb_cdrs where datum > getdate() - 0.01

-- expect: mvapi
update tb_users set email = 'new_' + email where id = [USERID]; select email from tb_users where id = [USERID]

-- expect: mvapi
-- want: 7
delete from tb_cdrs where datum < getdate() - 2; select count(*) from tb_cdrs

-- expect: mvapi
update tb_cdrs set cost = isnull(cost, 0) + 1 where id in (select top 2 id from tb_cdrs order by id); select sum(cost) from tb_cdrs

-- === Refused with a hint
-- expect: refused CREATE TABLE t AS SELECT
select * into tb_copy from tb_users

-- expect: refused write the procedure's statements
exec sp_addcredit 1, 10

-- expect: refused write the procedure's statements
EXECUTE dbo.myproc

-- expect: refused T-SQL variables
declare @n int; set @n = 1; select @n

-- expect: refused T-SQL variables
select * from tb_users where id = @id

-- expect: refused temporary tables
select * from #tmp

-- expect: refused CONVERT(varchar(n), x, style)
select format(getdate(), 'yyyy-MM-dd')

-- expect: refused gen_random_uuid
select newid()

-- expect: refused correlated subquery
select * from tb_users u cross apply (select top 1 * from tb_cdrs c where c.callerid = u.id) x

-- === Aggregates and reports a DBA writes
select count(*) from tb_users

select count(*), sum(duration), max(duration) from tb_cdrs where callerid = [USERID]

-- expect: mvapi
select callerid, count(*) as calls, sum(duration) as secs from tb_cdrs with(nolock) group by callerid order by callerid

-- expect: mvapi
select top 3 callerid, sum(cost) as total from tb_cdrs group by callerid order by total desc

-- expect: mvapi
select u.username, count(c.id) from tb_users u with(nolock) left join tb_cdrs c with(nolock) on c.callerid = u.id and c.datum > getdate() - 1 group by u.username order by u.username

-- expect: mvapi
select kind, isnull(sum(amount), 0) from tb_creditlog where datum > getdate() - 7 group by kind order by kind

select kind, count(*) from tb_creditlog group by kind having count(*) > 1 order by kind

-- expect: mvapi
select top 1 datum from tb_creditlog where userid = [USERID] order by datum desc

-- expect: mvapi
select username, credit from tb_users where credit < 0 or (enabled = 0 and statusdate > getdate() - 1) order by id

-- expect: mvapi
select case when credit > 10 then 'rich' when credit > 0 then 'ok' else 'broke' end from tb_users order by id

-- expect: mvapi
select username from tb_users where exists (select top 1 1 from tb_cdrs where callerid = tb_users.id and datum > getdate() - 1) order by id

-- expect: mvapi
select count(*) from tb_users where id not in (select callerid from tb_cdrs with(nolock))

-- expect: mvapi
select sum(datediff(second, datum, getdate())) / 3600 from tb_cdrs where id = 1

-- expect: mvapi
select avg(cast(duration as float)) from tb_cdrs

-- expect: mvapi
select round(sum(cost), 2) from tb_cdrs with(nolock)

-- === mvapi keywords survive translation
-- expect: mvapi
select top 1 username from tb_users where username = '[SPARAM1]'

-- expect: mvapi
select top 1 username from tb_users where email like '%[SPARAM1]%'

select username from tb_users where email = {email}

-- expect: mvapi
select top 1 username from tb_users with(nolock) where email = '{email}'

-- expect: mvapi
select isnull((select top 1 credit from tb_users where username = [SPARAM4]), -1)

-- expect: mvapi
select count(*) from tb_cdrs where callerid = [USERID] and datum > dateadd(day, -[SPARAM2], getdate())

-- === Dialect directives
-- dialect: native
select username from tb_users where id = 1 limit 1

-- dialect: native
select substr(username, 1, 2) || '-' from tb_users where id = 1

-- expect: refused mvapi keyword
select u.[username] from tb_users u where u.id = 1
