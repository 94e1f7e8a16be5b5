-- The browser tracker's POST: a JSON event sent as text/plain (no CORS preflight).
-- Sources/pipeline-bench/main.swift parses the same request (and run.sh's GET_PATH): change both.
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
wrk.headers["Cookie"] = "vid=3d0be300-cbd2-11e8-aa59-ffd128a54d91; sid=3d0be301-cbd2-11e8-aa59-ffd128a54d91"
wrk.body = '{"last":"https://shop.example.com/cart","url":"https://shop.example.com/checkout?step=2","params":{"plan":"pro","seats":3,"trial":true},"duration":34752,"tz":"America/Los_Angeles","device":"Linux","os":"Linux","sink":"cw$","score":1,"ename":"checkout_started","etyp":"conversion","app":"shop","rel":"2.4.1","w":1280,"h":720,"source":"newsletter","medium":"email","campaign":"spring"}'
