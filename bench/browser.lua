-- A browser's event as Chrome sends it to a tracker on a shop's subdomain: the JSON of post.lua,
-- with the headers a real page adds (Origin, Referer, client hints, the site's other cookies).
-- bench/threads.sh BROWSER runs it; run.sh keeps to the issue's two requests.
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
wrk.headers["Cookie"] = "vid=3d0be300-cbd2-11e8-aa59-ffd128a54d91; sid=3d0be301-cbd2-11e8-aa59-ffd128a54d91; _ga=GA1.1.1234567890.1700000000; _ga_ABCDEF=GS1.1.1700000000.1.1.1700000100.0.0.0; cart=eyJpdGVtcyI6WzEsMiwzXX0; consent=necessary,analytics"
wrk.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
wrk.headers["Accept"] = "*/*"
wrk.headers["Accept-Language"] = "en-GB,en;q=0.9,de;q=0.8"
wrk.headers["Accept-Encoding"] = "gzip, deflate, br, zstd"
wrk.headers["Origin"] = "https://shop.example.com"
wrk.headers["Referer"] = "https://shop.example.com/checkout?step=2"
wrk.headers["Sec-Ch-Ua"] = "\"Google Chrome\";v=\"131\", \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\""
wrk.headers["Sec-Ch-Ua-Mobile"] = "?0"
wrk.headers["Sec-Ch-Ua-Platform"] = "\"Windows\""
wrk.headers["Sec-Fetch-Dest"] = "empty"
wrk.headers["Sec-Fetch-Mode"] = "no-cors"
wrk.headers["Sec-Fetch-Site"] = "same-site"
wrk.headers["Priority"] = "u=4, i"
wrk.body = '{"last":"https://shop.example.com/cart","url":"https://shop.example.com/checkout?step=2","params":{"plan":"pro","seats":3,"trial":true},"duration":34752,"tz":"America/Los_Angeles","device":"Linux","os":"Linux","sink":"cw$","score":1,"ename":"checkout_started","etyp":"conversion","app":"shop","rel":"2.4.1","w":1280,"h":720,"source":"newsletter","medium":"email","campaign":"spring"}'
