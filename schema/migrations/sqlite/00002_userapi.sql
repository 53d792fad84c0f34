-- +goose Up
-- Issue #3, the user API: user form fields, PINs, credit log, number pool,
-- switch request queue, offline messages, CLIs, conference rooms, current
-- calls. See the README section "User API tables".

-- The user form of setfield (reference "setfield" field lists), the callback
-- number, the presence string of presence_set and the password recovery pair.
ALTER TABLE tb_users ADD COLUMN forwardonbusy TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN forwardonnoanswer TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN forwardalways TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN voicemail INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN musiconhold TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN displayname TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN noanswertimeout INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN forwardearlystart INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN changesptoring INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN convertdtmf INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN playadv INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN playdisc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN sendsmsalert INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN sendemailalert INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN sendsmsreport INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN senddailyemail INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN sendlowcreditemail INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN sendmonthlyemail INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN sendotheremail INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN notifymissedsms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN notifymissedemail INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN choosecodecs TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN needcodecconversion INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN discvoice TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN connectvoice TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN sendlowecreditemail INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN voicemailonbusy INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN voicemailonnoansw INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN voicemailalways INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN contactname TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN email2 TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN fax TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN billaddress TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN postaddress TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN regnumber TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN euregnumber TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN birthday TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN gender TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN utc TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN callbacknumber TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN presence TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN pwdquestion TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN pwdanswerhash TEXT NOT NULL DEFAULT '';
ALTER TABLE tb_users ADD COLUMN pwdanswerfails INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tb_users ADD COLUMN presencedate TIMESTAMP;

-- What the caller was charged is tb_cdrs.cost; providercost is what the call
-- cost the operator (profit = cost - providercost); recordingfile is the
-- recording's path below the recordings folder, without extension.
ALTER TABLE tb_cdrs ADD COLUMN providercost NUMERIC NOT NULL DEFAULT 0;
ALTER TABLE tb_cdrs ADD COLUMN recordingfile TEXT NOT NULL DEFAULT '';
CREATE INDEX ix_tb_cdrs_calledid_datum ON tb_cdrs (calledid, datum);
CREATE INDEX ix_tb_cdrs_datum ON tb_cdrs (datum);

-- Recharge PINs: a PIN is used once (usedby/usedat set by one UPDATE).
CREATE TABLE tb_pins (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    pin      TEXT    NOT NULL,
    value    NUMERIC NOT NULL DEFAULT 0,
    currency TEXT    NOT NULL DEFAULT '',
    enabled  INTEGER NOT NULL DEFAULT 1,
    expires  TIMESTAMP,
    usedby   INTEGER,
    usedat   TIMESTAMP,
    created  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX ux_tb_pins_pin ON tb_pins (pin);

-- Every credit movement made by the API (charge, transfer, addcredit, cccharge).
CREATE TABLE tb_creditlog (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    datum       TIMESTAMP NOT NULL,
    userid      INTEGER NOT NULL,
    amount      NUMERIC NOT NULL,
    kind        TEXT    NOT NULL,
    otheruserid INTEGER NOT NULL DEFAULT 0,
    ref         TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX ix_tb_creditlog_userid ON tb_creditlog (userid, datum);
CREATE UNIQUE INDEX ux_tb_creditlog_cc ON tb_creditlog (ref) WHERE kind = 'cccharge';

-- Phone number pool: free when userid IS NULL or a lock has expired.
CREATE TABLE tb_phonenumbers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    number      TEXT    NOT NULL,
    userid      INTEGER,
    lockeduntil TIMESTAMP,
    lockedat    TIMESTAMP,
    enabled     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX ux_tb_phonenumbers_number ON tb_phonenumbers (number);

-- Switch request queue: callback, p2p and sendfax requests the switch consumes.
CREATE TABLE tb_switchrequests (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT    NOT NULL,
    userid   INTEGER NOT NULL DEFAULT 0,
    anum     TEXT    NOT NULL DEFAULT '',
    bnum     TEXT    NOT NULL DEFAULT '',
    cnum     TEXT    NOT NULL DEFAULT '',
    filename TEXT    NOT NULL DEFAULT '',
    options  TEXT    NOT NULL DEFAULT '',
    status   INTEGER NOT NULL DEFAULT 0,
    result   TEXT    NOT NULL DEFAULT '',
    created  TIMESTAMP NOT NULL,
    updated  TIMESTAMP NOT NULL
);
CREATE INDEX ix_tb_switchrequests_status ON tb_switchrequests (status, id);

-- Chat messages (sendim) kept until presence_get/presence_set delivers them.
CREATE TABLE tb_offlinemessages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    fromuserid   INTEGER NOT NULL,
    fromusername TEXT    NOT NULL,
    touserid     INTEGER NOT NULL,
    txt          TEXT    NOT NULL,
    created      TIMESTAMP NOT NULL,
    delivered    TIMESTAMP
);
CREATE INDEX ix_tb_offlinemessages_to ON tb_offlinemessages (touserid, delivered);

-- Pinless caller ids (ANI) of users: one number belongs to one user.
CREATE TABLE tb_clis (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    userid  INTEGER NOT NULL,
    number  TEXT    NOT NULL,
    created TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_tb_clis_number ON tb_clis (number);

-- One conference room per user (getconfroom).
CREATE TABLE tb_confrooms (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    userid  INTEGER NOT NULL,
    room    TEXT    NOT NULL,
    pin     TEXT    NOT NULL DEFAULT '',
    created TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_tb_confrooms_userid ON tb_confrooms (userid);
CREATE UNIQUE INDEX ux_tb_confrooms_room ON tb_confrooms (room);

-- Calls in progress, maintained by the switch (read by callrating).
CREATE TABLE tb_currentcalls (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    callid  TEXT    NOT NULL,
    userid  INTEGER NOT NULL,
    caller  TEXT    NOT NULL DEFAULT '',
    called  TEXT    NOT NULL DEFAULT '',
    started TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_tb_currentcalls_callid ON tb_currentcalls (callid);

-- +goose Down
DROP TABLE tb_currentcalls;
DROP TABLE tb_confrooms;
DROP TABLE tb_clis;
DROP TABLE tb_offlinemessages;
DROP TABLE tb_switchrequests;
DROP TABLE tb_phonenumbers;
DROP TABLE tb_creditlog;
DROP TABLE tb_pins;
DROP INDEX ix_tb_cdrs_datum;
DROP INDEX ix_tb_cdrs_calledid_datum;
ALTER TABLE tb_cdrs DROP COLUMN recordingfile;
ALTER TABLE tb_cdrs DROP COLUMN providercost;
ALTER TABLE tb_users DROP COLUMN presencedate;
ALTER TABLE tb_users DROP COLUMN pwdanswerfails;
ALTER TABLE tb_users DROP COLUMN pwdanswerhash;
ALTER TABLE tb_users DROP COLUMN pwdquestion;
ALTER TABLE tb_users DROP COLUMN presence;
ALTER TABLE tb_users DROP COLUMN callbacknumber;
ALTER TABLE tb_users DROP COLUMN utc;
ALTER TABLE tb_users DROP COLUMN language;
ALTER TABLE tb_users DROP COLUMN gender;
ALTER TABLE tb_users DROP COLUMN birthday;
ALTER TABLE tb_users DROP COLUMN euregnumber;
ALTER TABLE tb_users DROP COLUMN regnumber;
ALTER TABLE tb_users DROP COLUMN postaddress;
ALTER TABLE tb_users DROP COLUMN billaddress;
ALTER TABLE tb_users DROP COLUMN fax;
ALTER TABLE tb_users DROP COLUMN email2;
ALTER TABLE tb_users DROP COLUMN contactname;
ALTER TABLE tb_users DROP COLUMN voicemailalways;
ALTER TABLE tb_users DROP COLUMN voicemailonnoansw;
ALTER TABLE tb_users DROP COLUMN voicemailonbusy;
ALTER TABLE tb_users DROP COLUMN sendlowecreditemail;
ALTER TABLE tb_users DROP COLUMN connectvoice;
ALTER TABLE tb_users DROP COLUMN discvoice;
ALTER TABLE tb_users DROP COLUMN needcodecconversion;
ALTER TABLE tb_users DROP COLUMN choosecodecs;
ALTER TABLE tb_users DROP COLUMN notifymissedemail;
ALTER TABLE tb_users DROP COLUMN notifymissedsms;
ALTER TABLE tb_users DROP COLUMN sendotheremail;
ALTER TABLE tb_users DROP COLUMN sendmonthlyemail;
ALTER TABLE tb_users DROP COLUMN sendlowcreditemail;
ALTER TABLE tb_users DROP COLUMN senddailyemail;
ALTER TABLE tb_users DROP COLUMN sendsmsreport;
ALTER TABLE tb_users DROP COLUMN sendemailalert;
ALTER TABLE tb_users DROP COLUMN sendsmsalert;
ALTER TABLE tb_users DROP COLUMN playdisc;
ALTER TABLE tb_users DROP COLUMN playadv;
ALTER TABLE tb_users DROP COLUMN convertdtmf;
ALTER TABLE tb_users DROP COLUMN changesptoring;
ALTER TABLE tb_users DROP COLUMN forwardearlystart;
ALTER TABLE tb_users DROP COLUMN noanswertimeout;
ALTER TABLE tb_users DROP COLUMN displayname;
ALTER TABLE tb_users DROP COLUMN musiconhold;
ALTER TABLE tb_users DROP COLUMN voicemail;
ALTER TABLE tb_users DROP COLUMN forwardalways;
ALTER TABLE tb_users DROP COLUMN forwardonnoanswer;
ALTER TABLE tb_users DROP COLUMN forwardonbusy;
