"""The response examples of payment-service-api.zh.txt, copied verbatim (the dict example's
"..." placeholders and trailing comma removed so it parses)."""

DICT_BARE = """{
    "province_list":[
        {
                "provinceId":0,
                "provinceName":"澳门",
                "cities":[
                    {
                        "cityId":0,
                        "cityName":"澳门"
                    }
                ]
            }
    ],
    "bank_list":[
        {
                "character":"B",
                "banks":[
                    {
                        "bankId":0,
                        "bankName":"北京银行",
                        "logoUrl":"https://e.hiphotos.baidu.com/nuomi/pic/item/adaf2edda3cc7cd926e5c5ff3301213fb90e91c8.jpg"
                    }
            ]
        }
    ],
    "commissionRate":{
        "6":"千分之六",
        "10":"百分之一"
    },
    "paymentDays":{
        "1":"T+1",
        "7":"T+7",
        "14":"T+14",
        "28":"T+28"
    }
}"""

SUCCESS = '{"errno":0,"msg":"success"}'

ACCOUNT_AUDIT = """{
    "errno":0,
    "msg":"success",
    "data":{
        "status":4,
        "verify_message":"审核通过"
    }
}"""

SERVICE_AUDIT = """{
    "errno":0,
    "msg":"success",
    "data":{
        "status":2,
        "fail_reason":"审核通过"
    }
}"""

BIND_SERVICE = """{
    "errno":0,
    "msg":"success",
    "data":{
        "pm_app_id":10896,
        "app_name":"测试",
        "pm_app_key":"XXX",
        "platform_public_key":"XXX",
        "deal_id":"1292243105",
        "service_phone":"1351431XXXX",
        "bank_account":"北京百度网讯科技有限公司",
        "bank_card":"110902160610510",
        "bank_name":"招商银行",
        "bank_branch":"招商银行股份有限公司北京双榆树支行",
        "open_province":"北京市",
        "open_city":"海淀区",
        "payment_days":1,
        "commission_rate":6,
        "pool_cash_pledge":1,
        "day_max_frozen_amount":10000,
        "open_status":2,
        "fail_reason":""
    }
}"""

ORDER_LIST = """{
    "errno":0,
    "msg":"success",
    "data":{
        "total_money":"-",
        "current_page":1,
        "page_size":10,
        "total_count":101,
        "total_page":1,
        "data":[
            {
                "id":"80048556607063",
                "deal_id":"2055275011",
                "deal_title":"sandbox-test-one",
                "order_id":"80048556607063",
                "tp_order_id":"TEST345671234",
                "phone":"未登录用户",
                "create_time":"2019-05-30 21:37:53",
                "update_time":"2019-05-30 21:37:53",
                "sub_status":"1",
                "total_money":"20",
                "pay_money":"20",
                "segment_refunded_money":null,
                "channel":null
            },
            {
                "id":"80049190777835",
                "deal_id":"2055275011",
                "deal_title":"一清测试订单xxxx",
                "order_id":"80049190777835",
                "tp_order_id":"ZD1559221562189606834",
                "phone":"178****2684",
                "create_time":"2019-05-30 21:06:08",
                "update_time":"2019-05-30 21:06:12",
                "sub_status":"1",
                "total_money":"1",
                "pay_money":"1",
                "segment_refunded_money":null,
                "channel":null
            }
        ]
    }
}"""

FINANCE_BALANCE = """{
    "errno":0,
    "msg":"success",
    "data":{
        "income":"0.32",
        "period":1,
        "data":[
            {"income":"0.02","operate_time":"2019-06-11","adjust_amount":"0.00","others":"0.00"},
            {"income":"0.01","operate_time":"2019-06-10","adjust_amount":"0.00","others":"0.00"},
            {"income":"0.01","operate_time":"2019-06-06","adjust_amount":"0.00","others":"0.00"},
            {"income":"0.01","operate_time":"2019-06-04","adjust_amount":"0.00","others":"0.00"},
            {"income":"0.18","operate_time":"2019-05-21","adjust_amount":"0.00","others":"-0.01"},
            {"income":"0.09","operate_time":"2019-05-20","adjust_amount":"0.00","others":"-0.01"}
        ],
        "adjustment":"0.00",
        "free_balance":"1.00",
        "payment_due":"2019-06-13 00:00:00",
        "others":"-0.02",
        "page_size":10,
        "total_count":6,
        "current_page":1
    }
}"""

INCOME_DETAIL = """{
    "errno":0,
    "msg":"success",
    "data":{
        "income":"0.05",
        "quantity":5,
        "data":[
            {"opt_type":"使用","money":"0.01","order_id":26986351846447,"operate_time":"2019-03-21 19:07:41","third_order_id":"ZD1553166089343111661"},
            {"opt_type":"使用","money":"0.01","order_id":26986326076447,"operate_time":"2019-03-21 14:45:49","third_order_id":"ZD1553150687585921121"},
            {"opt_type":"使用","money":"0.01","order_id":26987272727237,"operate_time":"2019-03-21 14:34:29","third_order_id":"ZD1553149969815396359"},
            {"opt_type":"使用","money":"0.01","order_id":26985809346447,"operate_time":"2019-03-21 14:25:32","third_order_id":"ZD1553149437651250048"},
            {"opt_type":"使用","money":"0.01","order_id":26992975796447,"operate_time":"2019-03-21 14:23:20","third_order_id":"ZD1553149181991333186"}
        ],
        "operate_time":"2019-03-21 00:00:00",
        "income_amount":"0.05",
        "page_size":10,
        "total_count":5,
        "current_page":1,
        "refund_amount":"0.00"
    }
}"""

OTHER_DETAIL = r"""{
    "errno":0,
    "msg":"success",
    "data":{
        "total_amount":"-0.04",
        "order_amount":"0.69",
        "data":[
            {
                "opt_type":"使用",
                "order_id":80040240090932,
                "operate_time":"2019-05-21 23:59:59",
                "ref_money":"0.00",
                "third_order_id":"ZD1558365540190944723"
            },
            {
                "opt_type":"使用",
                "order_id":80041094440932,
                "operate_time":"2019-05-21 23:30:30",
                "ref_money":"0.03",
                "third_order_id":"ZD1558452482151801759"
            }
            ],
     "rule_type":"{\"commisionLadder\":\"0.00-9,223,372,036,854,775.00,0.60%;\",\"marketing\":\"营销模式\",\"marketingLadder\":\"\",\"fixedCostLadder\":\"\",\"fixedCost\":\"固定费用\",\"commision\":\"分佣模式\"}",
     "settlement_start_time":"2019-05-03 00:00:00",
     "settlement_end_time":"2019-06-28 00:00:00"
     }
}"""

FINANCE_EXPENSE = """{
    "errno":0,
    "msg":"success",
    "data":{
        "expense_count":5,
        "data":[
            {"money":"-0.02","operate_time":"2019-06-12 00:00:00","start_time":"2019-06-12 00:00:00","type_id":"自动打款","end_time":"2019-06-13 00:00:00","pay_status":"成功","task_id":12688777319},
            {"money":"-0.01","operate_time":"2019-06-11 00:00:00","start_time":"2019-06-11 00:00:00","type_id":"自动打款","end_time":"2019-06-12 00:00:00","pay_status":"成功","task_id":12688615470},
            {"money":"-0.01","operate_time":"2019-06-07 00:00:00","start_time":"2019-06-07 00:00:00","type_id":"自动打款","end_time":"2019-06-08 00:00:00","pay_status":"成功","task_id":12687927678},
            {"money":"-0.01","operate_time":"2019-06-05 00:00:00","start_time":"2019-06-05 00:00:00","type_id":"自动打款","end_time":"2019-06-06 00:00:00","pay_status":"成功","task_id":12687583307},
            {"money":"-0.05","operate_time":"2019-05-22 00:00:00","start_time":"2019-05-22 00:00:00","type_id":"自动打款","end_time":"2019-05-23 00:00:00","pay_status":"成功","task_id":11683911985}
        ],
        "expense_money":"-0.10",
        "total_count":5
    }
}"""

PAY_DETAIL = """{
    "errno":0,
    "msg":"success",
    "data":{
        "data":[
            {
                "paid_money":"0.05",
                "paid_account":"621****4964",
                "remark":"交易成功#SUCCESS",
                "receive_user":"*若阳",
                "payment_status":"成功"
            }
        ]
    }
}"""

# openapi-facts.md
UPLOAD_IMAGE = '{"errno":0,"msg":"success","data":"https://img.example.baidu.com/abc.png"}'
TP_TOKEN = (
    '{"errno":0,"msg":"success","data":{"access_token":"tp-token-1","expires_in":2592000,'
    '"scope":"smartapp_tp"}}'
)
OAUTH_TOKEN = '{"access_token":"app-token-2","refresh_token":"refresh-2","expires_in":3600}'
OAUTH_ERROR = '{"error":"invalid_grant","error_description":"refresh token is invalid"}'

#: The public version of the doc (swan-docs program-docs/docs/third/paymentservice.md) answers
#: a mini-program that never submitted anything with nulls in a success envelope.
ACCOUNT_AUDIT_FRESH = """{
    "errno":0,
    "msg":"success",
    "data":{
        "status":null,
        "verify_message":null
    }
}"""

SERVICE_AUDIT_FRESH = """{
    "errno":0,
    "msg":"success",
    "data":{
        "status":null,
        "fail_reason":null
    }
}"""
